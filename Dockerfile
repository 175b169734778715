# syntax=docker/dockerfile:1
# Multi-stage: dependencies are installed in their own layer before the code, so a code change
# rebuilds only the last layers. Models are NOT baked in: mount a bundle at /models.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# 1) dependencies only (a stub package with the real pyproject)
COPY pyproject.toml README.md ./
RUN mkdir -p rtcc cameras lpr hotlist web retention \
 && for p in rtcc cameras lpr hotlist web retention; do touch $p/__init__.py; done \
 && pip install . && pip uninstall -y rtcc
# 2) the code
COPY rtcc ./rtcc
COPY cameras ./cameras
COPY lpr ./lpr
COPY hotlist ./hotlist
COPY web ./web
COPY retention ./retention
RUN pip install --no-deps .

FROM python:3.11-slim AS runtime
RUN useradd --system --uid 10001 --home-dir /var/lib/rtcc rtcc \
 && mkdir -p /var/lib/rtcc /models /etc/rtcc && chown rtcc /var/lib/rtcc
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    RTCC_DATA_DIR=/var/lib/rtcc \
    RTCC_LPR__MODEL_DIR=/models \
    RTCC_SERVER__HOST=0.0.0.0 \
    RTCC_SERVER__PORT=8080 \
    RTCC_ENVIRONMENT=production
VOLUME ["/var/lib/rtcc", "/models"]
USER rtcc
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/api/health').status != 200)"
# Put the settings file at /etc/rtcc/rtcc.yaml (mount it); `rtcc serve` migrates, then serves.
CMD ["rtcc", "serve", "--config", "/etc/rtcc/rtcc.yaml"]
