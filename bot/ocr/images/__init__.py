"""Pixels before and after the engine: checks of incoming images and the pixels engines read
(`intake`), background flattening (`prepare`), a line's piece of the photo (`crops`)."""
