#include "views/page_widgets.h"

#include "widgets/chip_delegate.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDateTime>
#include <QHeaderView>
#include <QTableView>
#include <algorithm>

namespace logdeck::ui {

namespace {

struct RangeChoice
{
    const char *label;
    qint64 ms; ///< 0: all time
};

constexpr RangeChoice kRanges[] = {
    {QT_TRANSLATE_NOOP("PageWidgets", "Last 15 minutes"), 15 * 60'000LL},
    {QT_TRANSLATE_NOOP("PageWidgets", "Last hour"), 3'600'000LL},
    {QT_TRANSLATE_NOOP("PageWidgets", "Last 24 hours"), 24 * 3'600'000LL},
    {QT_TRANSLATE_NOOP("PageWidgets", "Last 7 days"), 7 * 24 * 3'600'000LL},
    {QT_TRANSLATE_NOOP("PageWidgets", "Last 30 days"), 30 * 24 * 3'600'000LL},
    {QT_TRANSLATE_NOOP("PageWidgets", "All time"), 0},
};

} // namespace

QTableView *makeRowTable(QAbstractItemModel *model, QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setModel(model);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 10);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setHighlightSections(false);
    view->setItemDelegate(new ChipDelegate(view));
    return view;
}

void addTimeRanges(QComboBox *choice, qint64 selectedMs)
{
    for (const auto &range : kRanges) {
        choice->addItem(QCoreApplication::translate("PageWidgets", range.label),
                        QVariant::fromValue(range.ms));
    }
    choice->setCurrentIndex(std::max(0, choice->findData(QVariant::fromValue(selectedMs))));
}

qint64 rangeStartMs(const QComboBox *choice)
{
    const qint64 length = choice->currentData().toLongLong();
    return length > 0 ? QDateTime::currentMSecsSinceEpoch() - length : 0;
}

} // namespace logdeck::ui
