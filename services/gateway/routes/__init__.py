"""The gateway's routers: health and metrics, /v1 jobs, /v1 models and predict, /v2 (Open Inference Protocol)."""
