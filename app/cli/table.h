#pragma once
// The one table formatter of every logdeck-cli command.

#include <cstdio>
#include <string>
#include <vector>

namespace logdeck::cli {

/// A table as every command prints it: a header row, columns two spaces apart, each as
/// wide as its widest cell (in UTF-8 code points, so "∞" is one column), no trailing
/// blanks. Columns are left-aligned, as kafka-consumer-groups has them, unless marked
/// numeric (right-aligned, so that digits line up).
class Table
{
public:
    explicit Table(std::vector<std::string> header);

    /// Right-aligns column `index`.
    Table &alignRight(std::size_t index);

    void addRow(std::vector<std::string> row);

    std::size_t rowCount() const { return m_rows.size() - 1; }

    /// The table, one line per row, each ending in '\n'.
    std::string render() const;

    /// Writes render() to `out`.
    void print(std::FILE *out = stdout) const;

private:
    std::vector<std::vector<std::string>> m_rows; ///< the header first
    std::vector<bool> m_right;
};

/// Prints `rows` (the first is the header, if there is one) as a left-aligned Table.
void printColumns(const std::vector<std::vector<std::string>> &rows);

/// The number of columns `text` takes on a terminal: its UTF-8 code points.
std::size_t displayWidth(const std::string &text);

} // namespace logdeck::cli
