"""Platform adapters: one package per network behind the interface in `adapters.base`."""
