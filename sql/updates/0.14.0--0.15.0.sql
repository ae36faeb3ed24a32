-- phone_holds 0.14.0 → 0.15.0
--
-- Every function resolves by the names of its arguments, as PostgREST picks one for
-- POST /rpc/<name>: the twins that took the same names under other types get names of their
-- own. Positional calls, the argument types, the grants and every row stay as they were.
--   extend_phone_for_appointment(uuid, timestamp, timestamptz, text): appointment_time → appointment_time_utc
--   vapi_tool_calls(jsonb, timestamptz), vapi_end_of_call(jsonb, timestamptz),
--   vapi_assistant_request(jsonb, timestamptz, text): payload → body
--
-- CREATE OR REPLACE cannot rename a parameter, and DROP then CREATE would lose the user's grants
-- in their dumps: a GRANT run inside an extension script becomes part of the function's initial
-- privileges (pg_init_privs), which pg_dump leaves out. So the names are set in the catalog,
-- and each function keeps its oid, grants, initial privileges and comment. The SQL bodies of
-- the jsonb forms refer to their arguments by position; sql/vapi.sql's new text follows.

DO $rename$
DECLARE
    renamed record;
BEGIN
    FOR renamed IN
        SELECT f.routine::regprocedure AS routine, f.names
          FROM (VALUES ('public.extend_phone_for_appointment(uuid, timestamp, timestamptz, text)', '{lead_id,appointment_time_utc,as_of,lead_phone}'::text[]),
                       ('public.vapi_tool_calls(jsonb, timestamptz)', '{body,as_of}'),
                       ('public.vapi_end_of_call(jsonb, timestamptz)', '{body,as_of}'),
                       ('public.vapi_assistant_request(jsonb, timestamptz, text)', '{body,as_of,assistant_id}')) AS f(routine, names)
    LOOP
        UPDATE pg_catalog.pg_proc SET proargnames = renamed.names WHERE oid = renamed.routine;
    END LOOP;
END
$rename$;

-- Initial privileges name the owner and PUBLIC only, as a fresh install records them. The updates
-- to 0.4.0, 0.5.0, 0.6.0, 0.7.0, 0.8.0, 0.9.0 and 0.12.0 granted new or replaced functions to
-- the roles that could call the ones before. Run inside the update, those GRANTs were recorded
-- as the extension's initial privileges, which pg_dump takes as given: it left them out, and a
-- database restored from the dump lost them. Taking the other roles out of the record (not out
-- of the grants) makes pg_dump dump them. Only phone_holds' own functions are looked at.
UPDATE pg_catalog.pg_init_privs AS i
   SET initprivs = ARRAY(SELECT a FROM pg_catalog.unnest(i.initprivs) AS a
                          WHERE (SELECT x.grantee FROM pg_catalog.aclexplode(ARRAY[a]) AS x) IN (0, p.proowner))
  FROM pg_catalog.pg_proc AS p, pg_catalog.pg_depend AS d
 WHERE i.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND i.objoid = p.oid AND i.objsubid = 0
   AND d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'e'
   AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
   AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension AS e WHERE e.extname = 'phone_holds')
   AND EXISTS (SELECT 1 FROM pg_catalog.aclexplode(i.initprivs) AS x WHERE x.grantee NOT IN (0, p.proowner));
