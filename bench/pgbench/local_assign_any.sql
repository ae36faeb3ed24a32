-- BENCHMARK FIXTURE ONLY: pgbench script (local presence: a new lead, no phone given, so the
-- number rested longest). The driver reloads the pool before each run.
\set lead random(1, 1000000000)
\set area random(1, 300)
SELECT assign_phone_to_lead(('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid, now()) FROM bench_areas AS a WHERE a.k = :area;
