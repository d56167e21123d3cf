// The public surface of @keelson/informer (filled in by the informer work).
export {};
