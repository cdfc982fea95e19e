"""Batch checking at scale: inputs cut into chunks, checked by worker processes, written in order."""
