# caixin-dashboard in a container: read-only hosted mode, data mounted at /data, cache in a volume.
#   docker build -t caixin-dashboard .
#   docker run -p 8501:8501 -v /path/to/saved/pages:/data:ro caixin-dashboard
# BASE: any image with Python 3.11 whose `python` and `pip` are on PATH; without Docker Hub, .ci/docker-base
# builds a stand-in (docker build --build-arg BASE=caixin-base:local ...).
ARG BASE=python:3.11-slim
FROM ${BASE}

# MALLOC_ARENA_MAX=2: each session's script runs in a thread of its own, and glibc gives threads arenas
# that keep what they freed; at 1,000,000 stories 20 sessions grew the server by 452 MB with it, 675 without
# (docs/performance.md, "Run of 2026-12-01 02:39 UTC").
ENV MALLOC_ARENA_MAX=2 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CAIXIN_READONLY=1 \
    CAIXIN_DATA=/data \
    CAIXIN_CACHE=/cache

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app
WORKDIR /app

# The dependencies first, from pyproject.toml alone: a change to the code does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY core ./core
COPY dashboard ./dashboard
COPY .streamlit/config.toml ./.streamlit/config.toml
COPY data/themes.toml data/reporters.toml ./data/
COPY data/pages /data

# editable, so core finds data/themes.toml and data/reporters.toml beside the code. The code compiled to
# bytecode here: the server runs as a user who cannot write /app (and PYTHONDONTWRITEBYTECODE is set), so
# without it every start compiled core and the dashboard's modules again (their import 0.17-0.24 s with
# bytecode, 0.34-0.60 s without; docs/performance.md, "Bytecode in the image")
RUN pip install --no-cache-dir --no-deps -e . \
    && python -m compileall -q core dashboard \
    && mkdir -p /cache \
    && chown 10001:10001 /cache

USER 10001:10001
EXPOSE 8501
VOLUME ["/cache"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"]

CMD ["streamlit", "run", "dashboard/app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
