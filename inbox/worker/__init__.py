"""`inbox worker`: the one long-running process a team runs next to its database.

It polls every account whose secret its machine's keyring holds, sends the outbox,
publishes scheduled posts and runs the listening rules (after items land), reports its
health in the `worker` table, and logs one structured line per event of interest
(`log_lines.py`). `process.py` holds the worker itself; docs/deployment.md says how to run it.
"""
