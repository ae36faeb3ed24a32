-- BENCHMARK FIXTURE ONLY: pgbench script (native, complete).
\set lead random(1, :leads)
SELECT complete_appointment_for_phone(('00000000-0000-4000-8000-' || lpad(:lead::text, 12, '0'))::uuid, 'showed');
