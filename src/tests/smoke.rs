use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn smoke_assigns_a_number() {
        Spi::run("INSERT INTO public.signalwire_phone_numbers (number) VALUES ('+15550000001')").unwrap();
        let n = Spi::get_one::<String>("SELECT assign_phone_to_lead('07f26a19-e9dc-422c-b61d-030e3c7971bb')").unwrap();
        assert_eq!(n.as_deref(), Some("+15550000001"));
    }
}
