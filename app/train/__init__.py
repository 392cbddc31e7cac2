"""DCGAN training and training timelapses. No Qt. Arrives with the training issue."""
