"""Modal dialogs a screen opens and reads a value back from: pickers, forms, filters, replies."""
