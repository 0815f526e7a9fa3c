#include "cli/table.h"

#include <algorithm>

namespace logdeck::cli {

std::size_t displayWidth(const std::string &text)
{
    return static_cast<std::size_t>(std::ranges::count_if(
        text, [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

Table::Table(std::vector<std::string> header)
{
    m_right.resize(header.size(), false);
    m_rows.push_back(std::move(header));
}

Table &Table::alignRight(std::size_t index)
{
    m_right.resize(std::max(m_right.size(), index + 1), false);
    m_right[index] = true;
    return *this;
}

void Table::addRow(std::vector<std::string> row)
{
    m_rows.push_back(std::move(row));
}

std::string Table::render() const
{
    std::vector<std::size_t> widths;
    for (const auto &row : m_rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], displayWidth(row[i]));
        }
    }
    std::string text;
    for (const auto &row : m_rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            const std::size_t pad = widths[i] - displayWidth(row[i]);
            const bool right = i < m_right.size() && m_right[i];
            if (i > 0) {
                line.append(2, ' ');
            }
            if (right) {
                line.append(pad, ' ');
            }
            line += row[i];
            if (!right) {
                line.append(pad, ' ');
            }
        }
        line.erase(line.find_last_not_of(' ') + 1);
        text += line;
        text += '\n';
    }
    return text;
}

void Table::print(std::FILE *out) const
{
    std::fputs(render().c_str(), out);
}

void printColumns(const std::vector<std::vector<std::string>> &rows)
{
    if (rows.empty()) {
        return;
    }
    Table table(rows.front());
    for (std::size_t i = 1; i < rows.size(); ++i) {
        table.addRow(rows[i]);
    }
    table.print();
}

} // namespace logdeck::cli
