"""Engine: generators (torch), latent motion, effects, frame renderer, video writer, render jobs."""
