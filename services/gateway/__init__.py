"""The HTTP gateway: an adapter from HTTP (``/v1`` and the Open Inference Protocol ``/v2``) to Spindrift's Kafka topics.

Each route validates, makes one call to a client of the existing topics (the scoring SDK,
``spindrift.jobs``, the registry publisher) or reads the state folded from ``train.events`` and
``model.events``, and maps the outcome to a status. It holds no model and runs no Spark.
"""
