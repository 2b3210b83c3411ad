# Hearth in a container: `docker build -t hearth .` then
#   docker run -p 8000:8000 -v hearth-data:/data -e HEARTH_INSTANCE_DOMAIN=town.example \
#     -e HEARTH_INSTANCE_SCHEME=https hearth
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HEARTH_SERVER_HOST=0.0.0.0 \
    HEARTH_SERVER_PORT=8000 \
    HEARTH_SERVER_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY federation ./federation
COPY static ./static
COPY migrations ./migrations
RUN pip install . && hearth compile-translations && useradd --system --home /data --uid 1000 hearth \
    && mkdir -p /data && chown hearth /data

USER hearth
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=4)" || exit 1
CMD ["hearth", "serve"]
