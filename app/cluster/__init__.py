"""Work beyond one process: a render split in time into chunks (``chunks``) and run as
Ray tasks (``ray_render``); Ray is an optional extra (``pip install latentvj[ray]``)."""
