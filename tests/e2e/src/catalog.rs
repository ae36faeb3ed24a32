//! What two databases must agree on after an upgrade or a restore, each as sorted text lines so
//! a failing comparison shows the first line that differs.

use postgres::Client;

fn lines(c: &mut Client, sql: &str) -> Vec<String> {
    c.query(sql, &[]).unwrap().iter().map(|r| r.get(0)).collect()
}

/// Every row of the pool, the ledger and the bookings, and the webhook secrets, in a stable
/// order, and a checksum of each: the user's data.
pub fn rows(c: &mut Client) -> Vec<String> {
    lines(
        c,
        "SELECT 'pool ' || md5(p::text) || ' ' || p::text FROM public.signalwire_phone_numbers AS p
         UNION ALL
         SELECT 'ledger ' || md5(l::text) || ' ' || l::text FROM public.phone_hold_ledger AS l
         UNION ALL
         SELECT 'booking ' || md5(b::text) || ' ' || b::text FROM public.phone_hold_bookings AS b
         UNION ALL
         SELECT 'secret ' || md5(s::text) || ' ' || s.source FROM public.phone_holds_webhook_secrets AS s
         ORDER BY 1",
    )
}

/// The shape of everything in schema public: columns (in order, with defaults and identity),
/// indexes, constraints, table and view privileges, view definitions and comments, and the
/// extension's functions with their arguments' names and defaults, their privileges, the initial
/// privileges pg_dump measures theirs against, and (for non-C ones) their definitions.
/// Privileges are compared as what they grant: a NULL list as the default spelled out, the
/// items sorted (pg_upgrade writes the default as NULL, or the same items in another order,
/// where a fresh install spells them out). So are an extension member's initial privileges:
/// pg_upgrade records them only where they differ from the default (a helper granted to
/// PUBLIC has none after it), and no row means the default.
pub fn structure(c: &mut Client) -> Vec<String> {
    lines(
        c,
        "SELECT 'column ' || table_name || ' ' || ordinal_position || ' ' || column_name || ' ' || data_type
                || ' ' || coalesce(column_default, '-') || ' ' || is_nullable || ' ' || is_identity
           FROM information_schema.columns WHERE table_schema = 'public'
         UNION ALL
         SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
         UNION ALL
         SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace
         UNION ALL
         SELECT 'relation ' || relkind::text || ' ' || relname || ' '
                || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text)
                               FROM unnest(coalesce(relacl, acldefault(CASE relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\", relowner))) AS a), 'none')
                || ' initial ' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text)
                               FROM pg_init_privs AS i, unnest(i.initprivs) AS a
                              WHERE i.objoid = pg_class.oid AND i.classoid = 'pg_class'::regclass AND i.objsubid = 0),
                            (SELECT string_agg(a::text, ',' ORDER BY a::text)
                               FROM unnest(acldefault(CASE relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\", relowner)) AS a
                              WHERE EXISTS (SELECT 1 FROM pg_depend AS d WHERE d.classid = 'pg_class'::regclass AND d.objid = pg_class.oid AND d.deptype = 'e')),
                            'none')
                || ' ' || coalesce(obj_description(oid, 'pg_class'), '-')
                || coalesce(E'\\n' || pg_get_viewdef(oid), '')
           FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'v', 'S', 'p')
         UNION ALL
         SELECT 'function ' || p.oid::regprocedure::text || ' (' || pg_get_function_arguments(p.oid) || ') '
                || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text)
                               FROM unnest(coalesce(p.proacl, acldefault('f'::\"char\", p.proowner))) AS a), 'none')
                || ' initial ' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text)
                               FROM pg_init_privs AS i, unnest(i.initprivs) AS a
                              WHERE i.objoid = p.oid AND i.classoid = 'pg_proc'::regclass AND i.objsubid = 0),
                            (SELECT string_agg(a::text, ',' ORDER BY a::text)
                               FROM unnest(acldefault('f'::\"char\", p.proowner)) AS a
                              WHERE EXISTS (SELECT 1 FROM pg_depend AS d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')),
                            'none')
                || ' ' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
                || CASE WHEN l.lanname = 'c' THEN '' ELSE E'\\n' || pg_get_functiondef(p.oid) END
           FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang
          WHERE p.pronamespace = 'public'::regnamespace
         UNION ALL
         SELECT 'member ' || pg_describe_object(classid, objid, objsubid)
           FROM pg_depend WHERE deptype = 'e' AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'phone_holds')
         UNION ALL
         SELECT 'extension ' || extname || ' ' || extversion || ' ' || extrelocatable::text FROM pg_extension WHERE extname = 'phone_holds'
         ORDER BY 1",
    )
}

/// Where each sequence (the ledger's identity, a user's serial) stands.
pub fn identity_values(c: &mut Client) -> Vec<String> {
    lines(
        c,
        "SELECT 'sequence ' || sequencename || ' ' || coalesce(last_value::text, 'not called')
           FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1",
    )
}
