-- phone_hold_claims: how a lead's first assignment is serialised without a lock per lead.
--
-- Row locks cannot protect a lead that holds no number yet, so the first assignment of a lead
-- inserts it here and deletes it again at once (src/spi/pool.rs, Pool::claim_lead). The unique
-- index makes a concurrent insert of the same lead wait until the first transaction ends, as
-- an advisory lock would, but without a lock-table entry per lead: a transaction that assigns
-- thousands of new leads holds a fixed number of locks.
--
-- This is the only table CREATE EXTENSION creates, and it belongs to the extension: it never
-- holds a committed row (every row is deleted by the transaction that inserted it), so there
-- is nothing in it to dump or restore, and it is UNLOGGED because nothing in it must survive
-- a crash. Nobody but its owner may use it: the functions write it as the owner, as
-- SECURITY DEFINER would (src/spi/as_owner.rs), and only ever insert a claim and delete it
-- again in one step. Were it writable by others, a role could hold a lead's claim in an open
-- transaction and stall the lead's first assignment, or fill the table.

CREATE UNLOGGED TABLE public.phone_hold_claims (
    lead_id uuid PRIMARY KEY
);
COMMENT ON TABLE public.phone_hold_claims IS
    'phone_holds internal: serialises the first assignment of a lead; always empty outside a running transaction.';
-- (Its ACL written out, owner only, as every release since 0.3.0 left it.)
REVOKE ALL ON public.phone_hold_claims FROM PUBLIC;
SELECT public.phone_holds_make_private('public.phone_hold_claims');
