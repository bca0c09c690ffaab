#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft broker+controller) for the compose stack.
# Two listeners: INTERNAL (kafka:29092) for the other containers, EXTERNAL (:9092) published on
# the host's loopback; KAFKA_EXTERNAL_ADVERTISED must name the address host clients dial.
set -euo pipefail
DATA=/var/lib/kafka/data
CONF=/var/lib/kafka/server.properties
EXTERNAL=${KAFKA_EXTERNAL_ADVERTISED:-127.0.0.1:9092}
PARTITIONS=${KAFKA_NUM_PARTITIONS:-1}

cat >"$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=INTERNAL://0.0.0.0:29092,EXTERNAL://0.0.0.0:9092,CONTROLLER://127.0.0.1:9093
advertised.listeners=INTERNAL://kafka:29092,EXTERNAL://${EXTERNAL}
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT
log.dirs=${DATA}
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
share.coordinator.state.topic.num.partitions=4
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
auto.create.topics.enable=false
num.partitions=${PARTITIONS}
log.cleaner.dedupe.buffer.size=8388608
PROPS

cat >/var/lib/kafka/log4j2.properties <<'LOG'
rootLogger.level=INFO
rootLogger.appenderRef.out.ref=OUT
appender.out.type=Console
appender.out.name=OUT
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=WARN
logger.apache.name=org.apache.kafka
logger.apache.level=WARN
LOG

JAVA=(java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
    -Dlog4j2.configurationFile=/var/lib/kafka/log4j2.properties -cp '/opt/kafka/libs/*')

if [ ! -f "$DATA/meta.properties" ]; then
    # A random base64url cluster id (22 chars from 16 bytes), as kafka-storage random-uuid makes;
    # like Kafka's Uuid.randomUuid, one starting with '-' is drawn again (it reads as an option).
    CLUSTER_ID=-
    while [[ $CLUSTER_ID == -* ]]; do CLUSTER_ID=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='); done
    "${JAVA[@]}" kafka.tools.StorageTool format --cluster-id="$CLUSTER_ID" -c "$CONF"
fi
exec "${JAVA[@]}" kafka.Kafka "$CONF"
