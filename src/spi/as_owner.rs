//! Running one fixed statement as the owner of the table it writes, as SECURITY DEFINER runs
//! a function: for the claims of first assignments (Pool::claim_lead), which no caller is
//! granted, so that nobody can write them but through the functions, and the functions only
//! insert a claim and delete it again at once.

use pgrx::pg_sys;

/// While alive, the current user is `owner`, with the SQL-visible restrictions a SECURITY
/// DEFINER function's body gets (no change of role or session settings from inside); dropped,
/// the caller is back. Dropped on every exit, an error's unwinding included; PostgreSQL also
/// restores the user when the transaction or subtransaction aborts.
pub struct AsOwner {
    user: pg_sys::Oid,
    context: i32,
}

impl AsOwner {
    pub fn become_(owner: pg_sys::Oid) -> AsOwner {
        let (mut user, mut context) = (pg_sys::InvalidOid, 0);
        // SAFETY: plain reads and writes of the backend's current user, as fmgr_security_definer does.
        unsafe {
            pg_sys::GetUserIdAndSecContext(&mut user, &mut context);
            pg_sys::SetUserIdAndSecContext(
                owner,
                context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32 | pg_sys::SECURITY_RESTRICTED_OPERATION as i32,
            );
        }
        AsOwner { user, context }
    }
}

impl Drop for AsOwner {
    fn drop(&mut self) {
        // SAFETY: restores what become_() read.
        unsafe { pg_sys::SetUserIdAndSecContext(self.user, self.context) }
    }
}
