"""Engine: generators (torch) and the one safe way model files are opened, latent motion,
effects, frame renderer, live render worker and engine, video writer, recorder, offline
render, performance log and replay. No Qt."""
