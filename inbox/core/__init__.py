"""What everything else stands on.

Tables, the database, time, errors, config, credentials, paths, text cleaning and who may do what.
"""
