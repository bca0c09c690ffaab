"""Pure math of each model family on numpy arrays; knows nothing of frames, rows or files."""
