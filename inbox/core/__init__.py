"""What everything else stands on: tables, the database, time, errors, config, credentials, paths, text cleaning and who may do what."""
