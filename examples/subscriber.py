"""A newswire subscriber: reads the enriched topic and handles each item version once."""

import asyncio
import json
import os

from aiokafka import AIOKafkaConsumer


async def main() -> None:
    consumer = AIOKafkaConsumer(
        os.environ.get("NEWSWIRE_TOPIC", "newswire.items.enriched"),
        bootstrap_servers=os.environ.get("NEWSWIRE_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        group_id=os.environ.get("NEWSWIRE_GROUP", "my-team.news"),  # one group per application
        enable_auto_commit=False,  # commit after handling: at-least-once
        auto_offset_reset="earliest",
    )
    handled: dict[str, int] = {}  # item_id -> newest version handled (keep it in your database)
    stop_after = int(os.environ.get("STOP_AFTER", "0"))  # 0 = run forever
    await consumer.start()
    try:
        async for record in consumer:
            headers = {key: value.decode() for key, value in record.headers}
            item = json.loads(record.value)
            if item["version"] > handled.get(item["item_id"], 0):  # redelivered or old: skip
                handled[item["item_id"]] = item["version"]
                line = f"{headers['ce_type']} {item['item_id']} v{item['version']} {item['title']}"
                print(line, flush=True)  # noqa: T201 - an example prints what it handles
            await consumer.commit()
            if stop_after and len(handled) >= stop_after:
                break
    finally:
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(main())
