// posenc eval: one of posenc's math functions at a list of points.
#include "common.hpp"

namespace posenc_cli {
namespace {

enum class function { sin, cos, exp, log, sqrt };

function function_from_name(std::string_view name) {
    if (name == "sin") return function::sin;
    if (name == "cos") return function::cos;
    if (name == "exp") return function::exp;
    if (name == "log") return function::log;
    if (name == "sqrt") return function::sqrt;
    throw usage_error(fmt::format("--function: unknown function '{}' (expected sin, cos, exp, log or sqrt)", name));
}

template <class T>
T apply(function f, T x) {
    switch (f) {
        case function::sin: return posenc::math::sin(x);
        case function::cos: return posenc::math::cos(x);
        case function::exp: return posenc::math::exp(x);
        case function::log: return posenc::math::log(x);
        case function::sqrt: return posenc::math::sqrt(x);
    }
    throw std::logic_error("unhandled function");
}

struct eval_options {
    std::string function;
    std::string x;
    std::string precision;
    std::string out;
};

template <class T>
std::string eval_csv(const eval_options& opt, std::string_view command_line, std::string_view type_name) {
    const function f = function_from_name(opt.function);
    const std::vector<std::string> items = split_list(opt.x, "--x");
    std::vector<T> xs;
    xs.reserve(items.size());
    for (const std::string& item : items) xs.push_back(parse_number<T>(item, opt.precision, "--x"));

    fmt::memory_buffer csv;
    const auto out = std::back_inserter(csv);
    fmt::format_to(out, "{}", metadata_header("eval", command_line));
    fmt::format_to(out, "# function: {}\n", opt.function);
    fmt::format_to(out, "{}", precision_metadata<T>(opt.precision, type_name));
    fmt::format_to(out, "# x: {}\n", opt.x);
    fmt::format_to(out, "# out: {}\n", opt.out.empty() ? std::string("-") : opt.out);
    fmt::format_to(out, "# count: {}\n", xs.size());
    fmt::format_to(out, "x,value\n");
    for (std::size_t i = 0; i < xs.size(); ++i) {
        T value;
        try {
            value = apply(f, xs[i]);
        } catch (const std::domain_error& e) {
            throw usage_error(fmt::format("--x: {}({}) cannot be evaluated at precision {}: {}", opt.function, items[i],
                                          opt.precision, e.what()));
        }
        fmt::format_to(out, "{},{}\n", to_text(xs[i]), to_text(value));
    }
    return fmt::to_string(csv);
}

}  // namespace

void register_eval(CLI::App& app, registry& r) {
    auto opt = std::make_shared<eval_options>();
    CLI::App* eval = app.add_subcommand("eval", "Evaluate a function at a list of points; prints CSV (x,value)");
    eval->add_option("--function", opt->function, "Function to evaluate")
        ->required()
        ->check(CLI::IsMember({"sin", "cos", "exp", "log", "sqrt"}));
    eval->add_option("--x", opt->x, "Comma-separated decimal numbers, e.g. 1,2.5,1e22 (read at the target precision)")
        ->required();
    eval->add_option("--precision", opt->precision, std::string(precision_help))
        ->required()
        ->check(CLI::IsMember(precision_names()));
    eval->add_option("--out", opt->out, "Write the CSV to this file (atomically) instead of standard output");
    r.push_back({eval, [opt](std::string_view command_line) {
                     const std::string csv = with_precision(opt->precision, [&](auto tag, std::string_view type_name) {
                         return eval_csv<typename decltype(tag)::type>(*opt, command_line, type_name);
                     });
                     emit(csv, opt->out);
                     return 0;
                 }});
}

}  // namespace posenc_cli
