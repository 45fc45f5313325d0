//! A component that imports `evil:outside/backdoor`, an interface no plugin world has: the host
//! must refuse to load it, whatever else it exports.

wit_bindgen::generate!({
    inline: r#"
        package evil:outside;

        interface backdoor {
            open: func() -> u32;
        }

        world outside {
            import backdoor;
            export run: func() -> u32;
        }
    "#,
    world: "evil:outside/outside",
});

struct Component;

impl Guest for Component {
    fn run() -> u32 {
        // Calling the import keeps it in the component; an unused import would be dropped.
        evil::outside::backdoor::open()
    }
}

export!(Component);
