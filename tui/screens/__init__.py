"""The screens the app opens; each stands alone, and the app alone imports them."""
