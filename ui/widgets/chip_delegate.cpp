#include "widgets/chip_delegate.h"

#include <QApplication>
#include <QPainter>

namespace logdeck::ui {

namespace {

constexpr int kPadding = 6;
constexpr int kGap = 4;

QString textOf(const QVariant &value)
{
    return value.toMap().value(QStringLiteral("text")).toString();
}

} // namespace

QVariantMap chip(const QString &text, const QColor &colour)
{
    return {{QStringLiteral("text"), text}, {QStringLiteral("colour"), colour}};
}

void ChipDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                         const QModelIndex &index) const
{
    const QVariantList chips = index.data(kChipsRole).toList();
    if (chips.isEmpty()) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget != nullptr ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    QFont font = option.font;
    font.setPointSizeF(font.pointSizeF() * 0.9);
    painter->setFont(font);
    const QFontMetrics metrics(font);
    const int height = metrics.height() + 2;
    int x = option.rect.left() + kGap;
    const int y = option.rect.center().y() - height / 2;
    for (const QVariant &value : chips) {
        const QString text = textOf(value);
        const QColor colour = value.toMap().value(QStringLiteral("colour")).value<QColor>();
        const int width = metrics.horizontalAdvance(text) + 2 * kPadding;
        if (x + width > option.rect.right()) {
            painter->setPen(option.palette.color(QPalette::Text));
            painter->drawText(QRect(x, y, option.rect.right() - x, height), Qt::AlignVCenter,
                              QStringLiteral("…"));
            break;
        }
        const QRect rect(x, y, width, height);
        painter->setPen(Qt::NoPen);
        painter->setBrush(colour);
        painter->drawRoundedRect(rect, height / 2.0, height / 2.0);
        painter->setPen(Qt::white);
        painter->drawText(rect, Qt::AlignCenter, text);
        x += width + kGap;
    }
    painter->restore();
}

QSize ChipDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const QVariantList chips = index.data(kChipsRole).toList();
    if (chips.isEmpty()) {
        return QStyledItemDelegate::sizeHint(option, index);
    }
    QFont font = option.font;
    font.setPointSizeF(font.pointSizeF() * 0.9);
    const QFontMetrics metrics(font);
    int width = kGap;
    for (const QVariant &value : chips) {
        width += metrics.horizontalAdvance(textOf(value)) + 2 * kPadding + kGap;
    }
    return {width, metrics.height() + 8};
}

} // namespace logdeck::ui
