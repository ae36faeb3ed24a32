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
-- a crash. Every role may use it, since the functions run with the caller's privileges;
-- a row in it only ever makes another first assignment of the same lead wait.

CREATE UNLOGGED TABLE public.phone_hold_claims (
    lead_id uuid PRIMARY KEY
);
COMMENT ON TABLE public.phone_hold_claims IS
    'phone_holds internal: serialises the first assignment of a lead; always empty outside a running transaction.';
GRANT SELECT, INSERT, DELETE ON public.phone_hold_claims TO PUBLIC;
