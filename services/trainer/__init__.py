"""The trainer service: fits allow-listed Spark ML pipelines from Kafka requests and publishes them.

Run it with ``python -m services.trainer`` (or ``spindrift-trainer``). A job arrives on
``train.requests``; the worker (``worker.py``) hands it to the job runner (``jobs.py``), which
loads data (``data.py``), builds the pipeline from the declarative spec (``spec.py``, checked
against the pyspark-free ``stage_catalog.py`` so the gateway validates specs too;
``stage_classes.py`` holds the pyspark classes) or a registered training function
(``functions.py``), fits and evaluates it (``evaluation.py``), certifies parity with
``sparkml_runtime`` (``certificate.py``) and publishes it (``publishing.py``), writing job
events (``events.py``) on ``train.events`` as it goes. ``batch.py`` scores a published
version offline with Spark.
"""
