-- phone_holds 0.14.0 → 0.15.0
--
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
