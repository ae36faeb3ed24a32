-- BENCHMARK FIXTURE ONLY: pgbench script (plpgsql, assign).
\set lead random(1, :leads)
SELECT bench_plpgsql.assign_phone_to_lead(('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid);
