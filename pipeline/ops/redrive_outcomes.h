#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"
#include "store/redrive_store.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace logdeck::ops {

/// What became of a redriven event, as seen from its failing group.
enum class RedriveOutcome {
    NotReached, ///< the group's committed offset on the target partition is not past it yet
    Processed, ///< the group's committed offset passed it and it did not fail again
    DeadLetteredAgain, ///< a newer dead letter of the same event, marked as redriven, exists
};

const char *toString(RedriveOutcome outcome);

/// One ledger row and its outcome.
struct RedriveOutcomeRow
{
    store::RedriveRecord redrive;
    RedriveOutcome outcome = RedriveOutcome::NotReached;
    std::string detail; ///< the offset compared, or the new dead letter's coordinates
};

/// The outcome of each redrive in `redrives`. A group's committed offset is the larger of
/// what Kafka holds for it and, for a group this data directory hosts, what its database
/// (DATA/groups/<group>.db) committed with its last batch. The dead-letter topics the
/// redrives came from are read for newer dead letters of the same events.
Result<std::vector<RedriveOutcomeRow>>
redriveOutcomes(const kafka::ClientSettings &cluster, const std::string &dataDir,
                const std::vector<store::RedriveRecord> &redrives,
                std::chrono::milliseconds timeout);

} // namespace logdeck::ops
