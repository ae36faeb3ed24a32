-- BENCHMARK FIXTURE ONLY: pgbench script (plpgsql, extend).
\set lead random(1, :leads)
\set hours random(1, 200)
SELECT bench_plpgsql.extend_phone_for_appointment(('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid, now() + make_interval(hours => :hours));
