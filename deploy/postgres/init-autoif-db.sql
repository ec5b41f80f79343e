-- Run once by the postgres image on a fresh volume: the database of autoif's shared LLM
-- completion cache (the worker creates its table). On an existing volume run it by hand:
--   docker compose exec postgresql psql -U temporal -c 'CREATE DATABASE autoif'
CREATE DATABASE autoif;
