"""The fleet console (issue 20): every kiosk's health and every configuration rollout, for the operators.

Runs on the operators' host (``kiosk fleet console``), never on a kiosk: the kiosk runtime does not import this
package, and its dependencies (Starlette, uvicorn, Jinja2, SQLAlchemy, psycopg) are the ``[console]`` extra.

- ``heartbeat``: the heartbeat contract (docs/platform-api.yaml) — validation and the facts the console reads;
- ``alerts``: the alert rules, evaluated on each heartbeat and by the silence sweep;
- ``store``: SQLite or PostgreSQL through one URL, history with retention;
- ``ingest``: one writer thread that commits heartbeats in groups (HTTP and MQTT both feed it);
- ``web``: the pages and the JSON API; ``auth``: operators, sessions, CSRF, kiosk tokens;
- ``mqtt``: heartbeats from a broker; ``webhooks``: alerts leaving the console; ``rollouts``: staged rollouts.
See docs/console.md.
"""
