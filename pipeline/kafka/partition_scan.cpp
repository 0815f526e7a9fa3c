#include "kafka/partition_scan.h"

namespace logdeck::kafka {

Result<std::int64_t> scanPartition(const ClientSettings &settings, const PartitionRange &range,
                                   const std::function<void(const ConsumedRecord &)> &visit,
                                   std::chrono::milliseconds timeout)
{
    if (range.size() == 0) {
        return 0;
    }
    // assign() never joins the group, so the id only names this reader in broker logs.
    auto consumer = Consumer::create(settings, "logdeck-partition-scan");
    if (!consumer) {
        return fail(consumer.error());
    }
    const TopicPartition &tp = range.partition;
    if (auto assigned = (*consumer)->assign({{tp.topic, tp.partition, range.from}}); !assigned) {
        return fail(assigned.error());
    }
    std::int64_t read = 0;
    std::int64_t next = range.from;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (next < range.until) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return fail(Error::timeout("reading " + tp.topic + "[" + std::to_string(tp.partition)
                                       + "] stopped at offset " + std::to_string(next) + " of "
                                       + std::to_string(range.until)
                                       + ": the broker did not deliver the rest in time"));
        }
        auto batch = (*consumer)->poll(1000, std::chrono::milliseconds(200));
        if (!batch) {
            return fail(batch.error());
        }
        for (const ConsumedRecord &record : *batch) {
            if (record.offset >= range.until) {
                next = range.until; // past a gap (compaction) at the end of the range
                break;
            }
            visit(record);
            ++read;
            next = record.offset + 1;
        }
    }
    return read;
}

} // namespace logdeck::kafka
