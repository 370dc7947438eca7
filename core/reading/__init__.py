"""Stage 1, reading: files and folders into decoded text (``files``), very large pages a megabyte at a
time (``stream``), and pages uploaded through the dashboard (``uploads``)."""
