"""The transactional outbox: Temporal commands written with the domain change they
belong to (`commands`), relayed after commit and swept when a relay did not happen
(`relay`). ARCHITECTURE §6 "Postgres ↔ Temporal"."""
