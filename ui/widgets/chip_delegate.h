#pragma once

#include <QColor>
#include <QStyledItemDelegate>
#include <QVariantList>

namespace logdeck::ui {

/// The item data role holding a cell's chips: a QVariantList of chip() maps.
inline constexpr int kChipsRole = Qt::UserRole + 64;

/// One chip: `text` on a rounded rectangle filled with `colour` (white text).
QVariantMap chip(const QString &text, const QColor &colour);

/// Draws a cell's chips (kChipsRole) side by side, like labels on an issue tracker; cells
/// without chips are drawn as usual.
class ChipDelegate : public QStyledItemDelegate
{
    Q_OBJECT

public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace logdeck::ui
