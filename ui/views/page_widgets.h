#pragma once
// Widgets the Tenants, Fleet and Audit pages build alike.

#include <QtGlobal>

class QAbstractItemModel;
class QComboBox;
class QTableView;
class QWidget;

namespace logdeck::ui {

/// A read-only table of whole rows, one selectable, chips drawn (ChipDelegate), the last
/// column stretched.
QTableView *makeRowTable(QAbstractItemModel *model, QWidget *parent);

/// Fills `choice` with time ranges ("Last 15 minutes" … "All time"), each item's data its
/// length in ms (0 for all time), and selects the one of `selectedMs`.
void addTimeRanges(QComboBox *choice, qint64 selectedMs);

/// The start (Unix ms) of the range chosen in a combo filled by addTimeRanges, or 0 for all
/// time.
qint64 rangeStartMs(const QComboBox *choice);

} // namespace logdeck::ui
