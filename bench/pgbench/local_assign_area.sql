-- BENCHMARK FIXTURE ONLY: pgbench script (local presence: a new lead with a phone of one of the
-- pool's 300 area codes, so a number of that area code). The driver reloads the pool before
-- each run.
\set lead random(1, 1000000000)
\set area random(1, 300)
SELECT assign_phone_to_lead(('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid, now(), '+1' || a.area_code || '5550123') FROM bench_areas AS a WHERE a.k = :area;
