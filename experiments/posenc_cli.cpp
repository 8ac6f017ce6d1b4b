// posenc: command-line access to posenc's math core, encodings and experiments.
//
//   posenc eval     one math function at a list of points (x,value)
//   posenc freqs    the RoPE frequencies of any variant (pair,theta,wavelength)
//   posenc decay    decay curves against the distance (distance,value[,std])
//   posenc context  Men et al.'s context length of a base (base,first_negative_m,context_length)
//   posenc min-base Men et al.'s smallest base for each context (context,min_base,...)
//   posenc precision errors of float32/bf16/fp16 RoPE pipelines per position
//   posenc validate  the float32 kernels against the encodings at 50 digits, by position bucket
//   posenc bench     the float32 kernels' throughput against memcpy on the same buffers
//
// Every subcommand prints CSV: `#`-prefixed metadata lines (command line, every parameter with its
// default made explicit, precision, posenc version), then a header row, every number written with
// all the digits its type carries. With --out the CSV goes to FILE, written atomically (temporary
// file in the same directory, then rename; an interrupted run leaves no file); without it, to
// standard output.
//
// Exit status: 0 success, 1 input/output error (a full disk or a file-size limit included: the
// temporary file is removed, an existing --out file kept), 2 bad command line (the message names the
// argument), 3 validate found a kernel beyond its error bound, 130 interrupted (SIGINT/SIGTERM;
// nothing written). Killed (SIGKILL) mid-run, --out is the old file or absent, never partial (the
// temporary file stays: nothing runs after SIGKILL). A closed standard output (`| head`) ends the
// run by SIGPIPE, silently.
#include "cli/common.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    using namespace posenc_cli;
    std::string command_line;
    for (int i = 0; i < argc; ++i) {
        if (i > 0) command_line += ' ';
        command_line += shell_quote(argv[i]);
    }

    CLI::App app{"posenc: positional-encoding toolkit; every subcommand prints CSV", "posenc"};
    app.require_subcommand(1);
    registry subcommands;
    register_eval(app, subcommands);
    register_freqs(app, subcommands);
    register_decay(app, subcommands);
    register_context(app, subcommands);
    register_precision(app, subcommands);
    register_validate(app, subcommands);
    register_bench(app, subcommands);
    register_inspect(app, subcommands);
    register_check(app, subcommands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e);  // prints help, or the error naming the argument
        return status == 0 ? 0 : exit_usage;
    }

    install_interrupt_handlers();
    for (const subcommand& s : subcommands) {
        if (!s.app->parsed()) continue;
        const std::string name = s.app->get_name();
        try {
            resolve_encoding_options(s.app);
            return s.run(command_line);
        } catch (const usage_error& e) {
            fmt::print(stderr, "posenc {}: {}\n", name, e.what());
            return exit_usage;
        } catch (const io_error& e) {
            fmt::print(stderr, "posenc {}: {}\n", name, e.what());
            return exit_io_error;
        } catch (const interrupted_error& e) {
            fmt::print(stderr, "posenc {}: {}\n", name, e.what());
            return exit_interrupted;
        } catch (const std::exception& e) {
            fmt::print(stderr, "posenc {}: error: {}\n", name, e.what());
            return exit_io_error;
        }
    }
    return exit_usage;
}
