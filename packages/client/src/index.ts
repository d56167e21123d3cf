// The public surface of @keelson/client (filled in by the client work).
export {};
