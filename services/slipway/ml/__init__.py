"""Machine-learning knowledge shared by the services: model files, content-addressed
artifacts and their verified cache, feature profiles, tensors, and the library versions a model
was saved with.

Nothing here is platform: the server, settings, database and audit log live in `slipway.core`."""
