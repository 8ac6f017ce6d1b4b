// posenc/config/config.hpp: a model's config.json -> the RoPE parameters of posenc's table
// (posenc/frequencies/params.hpp), one set per attention layer type. Target posenc::config (needs
// nlohmann-json, Debian's nlohmann-json3-dev); posenc::posenc does not include this header.
//
// Keys are resolved as transformers does (`modeling_rope_utils.py`, RotaryEmbeddingConfigMixin:
// `convert_rope_params_to_dict`, `standardize_rope_params`; `configuration_utils.py`):
//  - the text model's keys: `text_config` (Gemma 3/4, Qwen3-VL, Qwen3.5, MiniCPM-V) or InternVL's
//    `llm_config` when present, else the top level;
//  - the rope dict: `rope_scaling` when it is a non-empty object, else `rope_parameters`, else none;
//    it is one dict per layer type when every value is an object and the keys are layer types
//    (Gemma 4), else one global dict;
//  - rope type: `rope_type`, else the legacy `type`, else "default"; "mrope" means default
//    frequencies (Qwen2-VL), "su" is Phi-3's legacy name of longrope; `mrope_section` and
//    `mrope_interleaved` are read for mrope<T> (the pair-to-axis map);
//  - base: the dict's `rope_theta`, else the top-level `rope_theta`, else GPT-NeoX's
//    `rotary_emb_base`, else the model type's default (Gemma 3), else 10000; ChatGLM: 10000 *
//    `rope_ratio` (THUDM's modeling_chatglm.py, RotaryEmbedding: base = 10000 * rope_ratio);
//  - head size: `head_dim` when present and not null, else hidden_size // num_attention_heads (GPT-J
//    `n_embd`/`n_head`); ChatGLM: `kv_channels`; MLA models (DeepSeek-V2/V3, GLM-5): the rotated
//    part `qk_rope_head_dim`; Gemma 4 full-attention layers: `global_head_dim`;
//  - rotated fraction: the top-level `partial_rotary_factor` (it overwrites the dict's, as
//    standardize_rope_params does), else the dict's, else GPT-NeoX `rotary_pct`, else `rotary_dim` /
//    head size (GPT-J, Phi-1), else ChatGLM's half (RotaryEmbedding(rotary_dim // 2)), else 1;
//  - original_max_position_embeddings (llama3, yarn, longrope): a top-level one overwrites the
//    dict's (Phi-3), else the dict's, else max_position_embeddings (standardize_rope_params'
//    setdefault); max_position_embeddings, GPT-J `n_positions`, ChatGLM `seq_length`;
//  - layout: `rope_interleave` when stated (DeepSeek-V3), else the model type's rule: interleaved for
//    GPT-J (modeling_gptj.py rotate_every_two), ChatGLM (modeling_chatglm.py apply_rotary_pos_emb),
//    DeepSeek-V2/V3 (rope_interleave defaults to true) and Kimi-K2 (DeepSeek's modeling code),
//    GLM / GLM-4V (modeling_glm.py, modeling_glm4v.py rotate_half_llm), Cohere (modular_cohere.py:
//    repeat_interleave of the frequencies, rotate_half on x[..., ::2], x[..., 1::2]), Llama 4
//    (modeling_llama4.py: view_as_complex on x.reshape(..., -1, 2)); half-split (HF rotate_half)
//    otherwise;
//  - layer types: Gemma 3's `rope_local_base_freq` gives sliding_attention layers the default
//    frequencies with that base and full_attention layers the rope dict (configuration_gemma3.py).
// Every other key of the rope dict is an error (never silently wrong frequencies); keys a rope
// type does not read are listed as ignored, with the reason.
//
// Errors: posenc::config::error, whose message is "FILE: KEY: reason" (KEY is the path of the key
// in the file, e.g. text_config.rope_parameters.rope_theta, or "-" for the file as a whole).
// Limits: files above 16 MiB and nesting deeper than 64 are rejected before they are parsed.
#pragma once

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../frequencies/params.hpp"

namespace posenc::config {

/// A config that cannot be read: what() is "FILE: KEY: reason".
class error : public std::runtime_error {
public:
    error(const std::string& file, const std::string& key, const std::string& reason)
        : std::runtime_error(file + ": " + (key.empty() ? "-" : key) + ": " + reason), key_(key) {}
    /// The key's path in the file ("" for the file as a whole).
    [[nodiscard]] const std::string& key() const noexcept { return key_; }

private:
    std::string key_;
};

/// One parameter's value as text (a number as JSON wrote it, a rope type's name, "interleaved"
/// or "half-split", "true"/"false", a comma list) and where it came from.
struct setting {
    std::string text;
    std::string key;  ///< path of the key(s) in the file, or the rule that gave it
};

/// The parameters of one attention layer type, by table field (posenc::rope_parameter_table).
struct layer {
    std::string name;  ///< "" for a model with one kind of RoPE layer
    std::map<std::string, setting, std::less<>> values;
};

/// A key the reader looked at, and what it did with it.
struct note {
    std::string key;
    std::string what;
};

struct model {
    std::string file;
    std::string model_type;
    std::vector<layer> layers;
    std::vector<note> read;     ///< keys used, and for what
    std::vector<note> ignored;  ///< keys present but not used, and why
};

inline constexpr std::size_t max_file_bytes = 16u << 20;
inline constexpr int max_depth = 64;

namespace detail {

using json = nlohmann::json;

/// What a path prefix and key make: "text_config.rope_theta".
inline std::string join(const std::string& prefix, std::string_view key) { return prefix + std::string(key); }

/// The nested object holding the text model's keys, its path prefix and its object.
struct scope {
    const json* obj;
    std::string prefix;
};

/// Model-type defaults for keys a minimal hub file leaves out (the config class's defaults).
struct model_default {
    std::string_view model_type;
    std::string_view key;
    std::string_view value;
    std::string_view source;
};

// configuration_gemma3.py, Gemma3TextConfig: rope_theta 1e6, rope_local_base_freq 1e4, head_dim
// 256, num_attention_heads 8, max_position_embeddings 131072. configuration_falcon.py:
// max_position_embeddings 2048. configuration_deepseek_v3.py: rope_interleave True.
inline constexpr model_default model_defaults[] = {
    {"gemma3_text", "rope_theta", "1000000.0", "Gemma3TextConfig default"},
    {"gemma3_text", "rope_local_base_freq", "10000.0", "Gemma3TextConfig default"},
    {"gemma3_text", "head_dim", "256", "Gemma3TextConfig default"},
    {"gemma3_text", "num_attention_heads", "8", "Gemma3TextConfig default"},
    {"gemma3_text", "max_position_embeddings", "131072", "Gemma3TextConfig default"},
    {"falcon", "max_position_embeddings", "2048", "FalconConfig default"},
    {"deepseek_v3", "rope_interleave", "true", "DeepseekV3Config default"},
    {"deepseek_v2", "rope_interleave", "true", "DeepseekV2Config default"},
};

/// Model types whose rotation pairs (2i, 2i+1) (see the file comment for the modeling files).
inline constexpr std::string_view interleaved_model_types[] = {
    "gptj", "chatglm", "glm", "glm4v", "glm4v_text", "deepseek_v2", "deepseek_v3", "kimi_k2", "cohere",
    "llama4", "llama4_text"};

/// The reader's state for one file.
class reader {
public:
    reader(const json& root, std::string file) : root_(root), file_(std::move(file)) {}

    model run() {
        model m;
        m.file = file_;
        text_ = text_scope();
        note_unmodelled_keys();
        m.model_type = model_type();
        model_type_ = m.model_type;
        const std::vector<std::pair<std::string, std::pair<const json*, std::string>>> dicts = rope_dicts();
        for (const auto& [name, dict] : dicts) m.layers.push_back(resolve_layer(name, dict.first, dict.second));
        m.read = std::move(read_);
        m.ignored = std::move(ignored_);
        return m;
    }

private:
    [[noreturn]] void fail(const std::string& key, const std::string& reason) const { throw error(file_, key, reason); }

    void mark_read(const std::string& key, const std::string& what) {
        for (const note& n : read_) {
            if (n.key == key && n.what == what) return;
        }
        read_.push_back({key, what});
    }
    void mark_ignored(const std::string& key, const std::string& why) {
        for (const note& n : ignored_) {
            if (n.key == key) return;
        }
        ignored_.push_back({key, why});
    }

    /// Keys that change which layers rotate or how attention uses the rotation, which the
    /// frequencies do not show: listed as ignored so the reader knows.
    void note_unmodelled_keys() {
        static constexpr std::pair<std::string_view, std::string_view> keys[] = {
            {"no_rope_layers", "some layers use no RoPE (Llama 4); the frequencies shown are those of the others"},
            {"nope_layer_interval", "some layers use no RoPE; the frequencies shown are those of the others"},
            {"llama_4_scaling_beta", "position-dependent query scaling, not a frequency"},
        };
        for (const scope& s : {text_, scope{&root_, ""}}) {
            for (const auto& [k, why] : keys) {
                if (s.obj && s.obj->contains(k)) mark_ignored(join(s.prefix, k), std::string(why));
            }
            if (text_.obj == &root_) break;
        }
    }

    scope text_scope() {
        for (const char* sub : {"text_config", "llm_config"}) {
            const auto it = root_.find(sub);
            if (it == root_.end() || it->is_null()) continue;
            if (!it->is_object()) fail(sub, "expected an object");
            mark_read(sub, "the text model's keys");
            return {&*it, std::string(sub) + "."};
        }
        return {&root_, ""};
    }

    std::string model_type() {
        for (const scope& s : {text_, scope{&root_, ""}}) {
            const auto it = s.obj->find("model_type");
            if (it != s.obj->end() && it->is_string()) return it->get<std::string>();
        }
        return "";
    }

    /// A key of the text scope (falling back to the top level for a nested config), or nullptr.
    const json* top(std::string_view key, std::string* path = nullptr) const {
        for (const scope& s : {text_, scope{&root_, ""}}) {
            const auto it = s.obj->find(key);
            if (it != s.obj->end() && !it->is_null()) {
                if (path) *path = join(s.prefix, key);
                return &*it;
            }
            if (text_.obj == &root_) break;
        }
        return nullptr;
    }

    std::optional<std::string> model_default_of(std::string_view key) const {
        for (const model_default& d : model_defaults) {
            if (d.model_type == model_type_ && d.key == key) return std::string(d.value);
        }
        return std::nullopt;
    }

    /// The text of a JSON number (as JSON wrote it: shortest round trip), checked finite.
    std::string number_text(const json& v, const std::string& path) const {
        if (v.is_boolean() || !v.is_number()) fail(path, std::string("expected a number, got ") + v.type_name());
        if (v.is_number_float() && !std::isfinite(v.get<double>())) fail(path, "not a finite number");
        return v.dump();
    }

    /// A number checked against a table row's range (the message names the range).
    std::string checked_number(const json& v, const std::string& path, const params::info& row) const {
        const std::string text = number_text(v, path);
        const double x = v.get<double>();
        const bool integer = row.what == params::kind::integer || row.what == params::kind::integer_list;
        if (integer && (x != std::floor(x) || std::fabs(x) > 9.0e15)) fail(path, "expected an integer, got " + text);
        if (!row.valid.contains(x)) {
            fail(path, std::string(integer ? "must be an integer " : "must be a finite number ") + row.valid.text() +
                           ", got " + text);
        }
        if (integer && v.is_number_float()) return std::to_string(static_cast<long long>(x));
        return text;
    }

    /// A value of a table row from JSON, as the text the CLI parses.
    std::string value_text(const json& v, const std::string& path, const params::info& row) const {
        using params::kind;
        switch (row.what) {
            case kind::integer:
            case kind::real: return checked_number(v, path, row);
            case kind::flag:
                if (!v.is_boolean()) fail(path, std::string("expected true or false, got ") + v.type_name());
                return v.get<bool>() ? "true" : "false";
            case kind::real_list:
            case kind::integer_list: {
                if (!v.is_array()) fail(path, std::string("expected a list of numbers, got ") + v.type_name());
                if (v.size() > 65536) fail(path, "a list of more than 65536 numbers");
                std::string text;
                for (std::size_t i = 0; i < v.size(); ++i) {
                    if (i) text += ',';
                    text += checked_number(v[i], path + "[" + std::to_string(i) + "]", row);
                }
                return text;
            }
            case kind::rope_type:
            case kind::layout: break;
        }
        fail(path, "not a value posenc reads from a config");
    }

    /// The rope dicts, one per layer type: (layer name, (dict or nullptr, its path)).
    std::vector<std::pair<std::string, std::pair<const json*, std::string>>> rope_dicts() {
        std::string path;
        const json* dict = nullptr;
        for (const char* key : {"rope_scaling", "rope_parameters"}) {
            std::string p;
            const json* d = top(key, &p);
            if (!d) continue;
            if (!d->is_object()) fail(p, std::string("expected an object or null, got ") + d->type_name());
            if (d->empty()) continue;
            if (dict) {
                mark_ignored(p, "rope_scaling takes precedence (convert_rope_params_to_dict)");
                continue;
            }
            dict = d;
            path = p;
        }
        std::vector<std::pair<std::string, std::pair<const json*, std::string>>> out;
        if (dict && per_layer(*dict)) {
            for (const auto& [name, sub] : dict->items()) {
                if (sub.is_null()) {
                    mark_ignored(path + "." + name, "no RoPE in these layers");
                    continue;
                }
                out.push_back({name, {&sub, path + "." + name}});
            }
            return out;
        }
        if (std::string lp; top("layer_types", &lp)) {
            mark_ignored(lp, "one rope dict for every layer type (standardize_rope_params, case 1); "
                             "posenc does not model which layers use RoPE");
        }
        std::string local_path;
        const json* local = top("rope_local_base_freq", &local_path);
        if (local || model_default_of("rope_local_base_freq")) {
            // Gemma 3 (configuration_gemma3.py): sliding_attention layers use the default
            // frequencies with rope_local_base_freq; full_attention layers use rope_theta and the dict.
            out.push_back({"full_attention", {dict, path}});
            out.push_back({"sliding_attention", {nullptr, ""}});
            return out;
        }
        out.push_back({"", {dict, path}});
        return out;
    }

    /// True when every value of the dict is an object or null and, if the config lists layer
    /// types, every key is one of them (standardize_rope_params, case 2).
    bool per_layer(const json& dict) const {
        const json* types = top("layer_types");
        for (const auto& [name, sub] : dict.items()) {
            if (!sub.is_object() && !sub.is_null()) return false;
            if (types && types->is_array()) {
                bool found = false;
                for (const json& t : *types) found = found || (t.is_string() && t.get<std::string>() == name);
                if (!found) return false;
            }
        }
        return true;
    }

    /// The rope type of a dict, its HF name in the table's terms.
    std::string rope_type(const json* dict, const std::string& path, layer& out) {
        if (!dict) return "default";
        for (const char* key : {"rope_type", "type"}) {
            const auto it = dict->find(key);
            if (it == dict->end()) continue;
            const std::string p = path + "." + key;
            if (!it->is_string()) fail(p, std::string("expected a string, got ") + it->type_name());
            std::string name = it->get<std::string>();
            mark_read(p, "rope type");
            out.values["variant"].key = p;
            if (name == "mrope") {
                mark_read(p, "mrope: default frequencies, positions per axis (Qwen2-VL)");
                name = "default";
            } else if (name == "su") {
                mark_read(p, "su: Phi-3's legacy name of longrope");
                name = "longrope";
            }
            rope_variant v{};
            if (!params::rope_type_from_name(name, v)) {
                std::string known;
                for (const rope_variant k : all_rope_variants) known += (known.empty() ? "" : ", ") + std::string(rope_type_name(k));
                fail(p, "unknown rope type '" + name + "' (posenc knows " + known + ", and mrope)");
            }
            if (std::string_view(key) == "type" && dict->contains("rope_type")) continue;
            return name;
        }
        return "default";
    }

    /// The head size and where it came from.
    setting head_dim(const std::string& layer_name) {
        std::string p;
        if (const json* g = top("global_head_dim", &p); g && layer_name == "full_attention") {
            mark_read(p, "head size of full_attention layers (Gemma 4)");
            return {checked_number(*g, p, *find_parameter("head_dim")), p};
        }
        if (const json* q = top("qk_rope_head_dim", &p)) {
            mark_read(p, "rotated size of an MLA head");
            return {checked_number(*q, p, *find_parameter("head_dim")), p};
        }
        if (const json* h = top("head_dim", &p)) {
            mark_read(p, "head size");
            return {checked_number(*h, p, *find_parameter("head_dim")), p};
        }
        if (const json* k = top("kv_channels", &p); k && model_type_ == "chatglm") {
            mark_read(p, "head size (ChatGLM)");
            return {checked_number(*k, p, *find_parameter("head_dim")), p};
        }
        if (const auto d = model_default_of("head_dim")) return {*d, model_type_ + " default"};
        std::string hp, np;
        const json* hidden = top("hidden_size", &hp);
        if (!hidden) hidden = top("n_embd", &hp);
        const json* heads = top("num_attention_heads", &np);
        if (!heads) heads = top("n_head", &np);
        std::optional<std::string> default_heads = model_default_of("num_attention_heads");
        if (!hidden || (!heads && !default_heads)) {
            fail(text_.prefix + "head_dim", "no head size: none of head_dim, or hidden_size and num_attention_heads");
        }
        const long long h = integer(*hidden, hp, 1);
        const long long n = heads ? integer(*heads, np, 1) : std::stoll(*default_heads);
        if (!heads) np = model_type_ + " default num_attention_heads";
        if (h % n != 0) {
            fail(hp, "hidden_size " + std::to_string(h) + " is not a multiple of num_attention_heads " + std::to_string(n) +
                         " and there is no head_dim");
        }
        mark_read(hp, "head size = hidden_size / num_attention_heads");
        mark_read(np, "head size = hidden_size / num_attention_heads");
        return {std::to_string(h / n), hp + " / " + np};
    }

    long long integer(const json& v, const std::string& path, long long min) const {
        const std::string text = number_text(v, path);
        const double x = v.get<double>();
        if (x != std::floor(x) || x < double(min) || x > 9.0e15) {
            fail(path, "expected an integer >= " + std::to_string(min) + ", got " + text);
        }
        return static_cast<long long>(x);
    }

    /// partial_rotary_factor, given the head size's text.
    std::optional<setting> partial(const json* dict, const std::string& path, const setting& hd) {
        const params::info& row = *find_parameter("partial_rotary_factor");
        std::string p;
        if (top("qk_rope_head_dim", &p)) return setting{"1", p + " (the rotated part is the whole)"};
        if (const json* t = top("partial_rotary_factor", &p)) {
            mark_read(p, "rotated fraction");
            if (dict && dict->contains("partial_rotary_factor")) {
                mark_read(path + ".partial_rotary_factor", "rotated fraction (the top-level value overwrites it)");
            }
            return setting{checked_number(*t, p, row), p};
        }
        if (dict) {
            const auto it = dict->find("partial_rotary_factor");
            if (it != dict->end()) {
                const std::string q = path + ".partial_rotary_factor";
                mark_read(q, "rotated fraction");
                return setting{checked_number(*it, q, row), q};
            }
        }
        if (const json* r = top("rotary_pct", &p)) {
            mark_read(p, "rotated fraction (GPT-NeoX)");
            return setting{checked_number(*r, p, row), p};
        }
        if (const json* r = top("rotary_dim", &p)) {
            const long long rd = integer(*r, p, 2);
            const long long h = std::stoll(hd.text);
            if (rd > h) fail(p, "rotary_dim " + std::to_string(rd) + " exceeds the head size " + hd.text);
            mark_read(p, "rotated dims (GPT-J, Phi-1)");
            return setting{rd == h ? "1" : exact_ratio(rd, h), p + " / head size"};
        }
        if (model_type_ == "chatglm") return setting{"0.5", "ChatGLM rotates half of each head (modeling_chatglm.py)"};
        return std::nullopt;
    }

    /// rd / h as a decimal that is exact (h a power-of-two multiple of a divisor of rd), else 17 digits.
    static std::string exact_ratio(long long rd, long long h) {
        std::ostringstream s;
        s.precision(17);
        s << static_cast<double>(rd) / static_cast<double>(h);
        return s.str();
    }

    setting base(const json* dict, const std::string& path, const std::string& layer_name) {
        const params::info& row = *find_parameter("base");
        if (layer_name == "sliding_attention" && !dict) {
            std::string p;
            if (const json* l = top("rope_local_base_freq", &p)) {
                mark_read(p, "base of sliding_attention layers");
                return {checked_number(*l, p, row), p};
            }
            if (const auto d = model_default_of("rope_local_base_freq")) return {*d, model_type_ + " default rope_local_base_freq"};
        }
        if (dict) {
            const auto it = dict->find("rope_theta");
            if (it != dict->end()) {
                mark_read(path + ".rope_theta", "base");
                return {checked_number(*it, path + ".rope_theta", row), path + ".rope_theta"};
            }
        }
        if (model_type_ == "chatglm") {
            std::string p;
            const json* r = top("rope_ratio", &p);
            if (!r) return {"10000", "ChatGLM: 10000 (no rope_ratio)"};
            mark_read(p, "base = 10000 * rope_ratio (ChatGLM)");
            number_text(*r, p);
            const double b = 10000.0 * r->get<double>();
            if (!(b > 1.0) || !std::isfinite(b)) fail(p, "10000 * rope_ratio must be a finite number > 1");
            return {json(b).dump(), "10000 * " + p};
        }
        for (const char* key : {"rope_theta", "rotary_emb_base"}) {
            std::string p;
            if (const json* t = top(key, &p)) {
                mark_read(p, "base");
                return {checked_number(*t, p, row), p};
            }
        }
        if (const auto d = model_default_of("rope_theta")) return {*d, model_type_ + " default rope_theta"};
        return {"10000", "default"};
    }

    setting layout() {
        std::string p;
        if (const json* r = top("rope_interleave", &p)) {
            if (!r->is_boolean()) fail(p, std::string("expected true or false, got ") + r->type_name());
            mark_read(p, "pair layout");
            return {r->get<bool>() ? "interleaved" : "half-split", p};
        }
        if (const auto d = model_default_of("rope_interleave")) {
            return {*d == "true" ? "interleaved" : "half-split", model_type_ + " default rope_interleave"};
        }
        for (const std::string_view t : interleaved_model_types) {
            if (t == model_type_) return {"interleaved", "model_type " + model_type_ + " (its modeling code)"};
        }
        return {"half-split", "HF rotate_half (the config does not state a layout)"};
    }

    std::optional<setting> max_positions() {
        const params::info& row = *find_parameter("max_position_embeddings");
        for (const char* key : {"max_position_embeddings", "n_positions", "seq_length"}) {
            std::string p;
            if (const json* v = top(key, &p)) {
                mark_read(p, "context length");
                return setting{checked_number(*v, p, row), p};
            }
        }
        if (const auto d = model_default_of("max_position_embeddings")) return setting{*d, model_type_ + " default"};
        return std::nullopt;
    }

    /// The keys of the dict that come straight from the table (factor, beta_fast, ...), and
    /// original_max_position_embeddings with its top-level override.
    void dict_values(const json* dict, const std::string& path, rope_variant v, layer& out) {
        static constexpr std::string_view handled[] = {"rope_type", "type", "rope_theta", "partial_rotary_factor"};
        if (dict) {
            for (const auto& [key, value] : dict->items()) {
                bool done = false;
                for (const std::string_view h : handled) done = done || h == key;
                if (done) continue;
                const std::string p = path + "." + key;
                if (key == "llama_4_scaling_beta") {
                    mark_ignored(p, "position-dependent query scaling (Mistral 3), not a frequency");
                    continue;
                }
                const params::info* row = row_of_key(key);
                if (!row || row->field == "max_position_embeddings") {
                    fail(p, "not a key posenc knows for rope type '" + std::string(rope_type_name(v)) +
                                "'; refusing to guess its effect on the frequencies");
                }
                if (value.is_null()) continue;
                std::string text = value_text(value, p, *row);
                if (!params::uses(row->used_by, v) && row->used_by != params::mrope_only) {
                    mark_ignored(p, "not read by rope type '" + std::string(rope_type_name(v)) + "'");
                    continue;
                }
                mark_read(p, row->used_by == params::mrope_only ? "M-RoPE: which axis turns each pair" : std::string(row->field));
                out.values[std::string(row->field)] = {std::move(text), p};
            }
        }
        const bool needs_original =
            v == rope_variant::llama3 || v == rope_variant::yarn || v == rope_variant::longrope;
        std::string p;
        const json* top_original = top("original_max_position_embeddings", &p);
        if (top_original && needs_original && !per_layer_) {
            mark_read(p, "L_orig (overwrites the rope dict's, as standardize_rope_params does)");
            out.values["original_max_position_embeddings"] = {
                checked_number(*top_original, p, *find_parameter("original_max_position_embeddings")), p};
        } else if (top_original && !needs_original) {
            mark_ignored(p, "not read by rope type '" + std::string(rope_type_name(v)) + "'");
        }
        if (needs_original && !out.values.contains("original_max_position_embeddings")) {
            const auto it = out.values.find("max_position_embeddings");
            if (it != out.values.end()) {
                out.values["original_max_position_embeddings"] = {it->second.text,
                                                                  it->second.key + " (standardize_rope_params default)"};
            }
        }
    }

    /// The keys transformers requires for a rope type (`_validate_<type>_rope_parameters`,
    /// required_keys): a missing one is an error, never a silent default.
    void require_keys(const json* dict, const std::string& path, rope_variant v, const layer& out) const {
        std::vector<std::string_view> keys;
        switch (v) {
            case rope_variant::linear:
            case rope_variant::dynamic: keys = {"factor"}; break;
            case rope_variant::yarn: keys = {"factor"}; break;
            case rope_variant::llama3: keys = {"factor", "low_freq_factor", "high_freq_factor"}; break;
            case rope_variant::longrope: keys = {"short_factor", "long_factor"}; break;
            case rope_variant::standard:
            case rope_variant::proportional: break;
        }
        for (const std::string_view k : keys) {
            if (!dict || !dict->contains(k) || (*dict)[std::string(k)].is_null()) {
                fail((path.empty() ? text_.prefix + "rope_scaling" : path) + "." + std::string(k),
                     "required by rope type '" + std::string(rope_type_name(v)) + "' (transformers _validate_" +
                         std::string(rope_type_name(v)) + "_rope_parameters) and missing");
            }
        }
        const bool needs_original = v == rope_variant::llama3 || v == rope_variant::yarn || v == rope_variant::longrope;
        if (needs_original && !out.values.contains("original_max_position_embeddings")) {
            fail((path.empty() ? text_.prefix + "rope_scaling" : path) + ".original_max_position_embeddings",
                 "required by rope type '" + std::string(rope_type_name(v)) +
                     "' and not given (nor max_position_embeddings)");
        }
    }

    static const params::info* row_of_key(std::string_view key) {
        for (const params::info& row : rope_parameter_table) {
            std::string_view keys = row.keys;
            while (!keys.empty()) {
                const std::size_t bar = keys.find('|');
                if (keys.substr(0, bar) == key) return &row;
                if (bar == std::string_view::npos) break;
                keys.remove_prefix(bar + 1);
            }
        }
        return nullptr;
    }

    layer resolve_layer(const std::string& name, const json* dict, const std::string& path) {
        per_layer_ = !name.empty() && dict && path.find('.') != std::string::npos &&
                     path.substr(path.rfind('.') + 1) == name;
        layer out;
        out.name = name;
        const std::string type = rope_type(dict, path, out);
        rope_variant v{};
        (void)params::rope_type_from_name(type, v);
        out.values["variant"].text = type;
        if (out.values["variant"].key.empty()) out.values["variant"].key = dict ? path + " (no rope_type: default)" : "default";
        const setting hd = head_dim(name);
        out.values["head_dim"] = hd;
        if (const std::optional<setting> pr = partial(dict, path, hd)) out.values["partial_rotary_factor"] = *pr;
        out.values["base"] = base(dict, path, name);
        out.values["layout"] = layout();
        if (const std::optional<setting> mp = max_positions()) out.values["max_position_embeddings"] = *mp;
        dict_values(dict, path, v, out);
        require_keys(dict, path, v, out);
        return out;
    }

    const json& root_;
    std::string file_;
    scope text_{nullptr, ""};
    std::string model_type_;
    bool per_layer_ = false;
    std::vector<note> read_;
    std::vector<note> ignored_;
};

}  // namespace detail

/// Parses a config.json's text; `file` names it in errors.
inline model parse(std::string_view text, const std::string& file) {
    if (text.size() > max_file_bytes) {
        throw error(file, "", "file of " + std::to_string(text.size()) + " bytes; config files are at most " +
                                  std::to_string(max_file_bytes) + " bytes");
    }
    std::string last_key;
    const detail::json::parser_callback_t track = [&](int depth, detail::json::parse_event_t event, detail::json& parsed) {
        if (depth > max_depth) throw error(file, last_key, "nesting deeper than " + std::to_string(max_depth));
        if (event == detail::json::parse_event_t::key && parsed.is_string()) last_key = parsed.get<std::string>();
        return true;
    };
    detail::json root;
    try {
        root = detail::json::parse(text.begin(), text.end(), track);
    } catch (const detail::json::exception& e) {
        std::string what = e.what();
        const std::size_t bracket = what.find("] ");
        if (bracket != std::string::npos) what = what.substr(bracket + 2);
        throw error(file, last_key.empty() ? "" : last_key + " (the last key read)", "not valid JSON: " + what);
    }
    if (!root.is_object()) throw error(file, "", std::string("expected a JSON object, got ") + root.type_name());
    return detail::reader(root, file).run();
}

/// Reads and parses a config.json (at most max_file_bytes).
inline model read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(path, "", "cannot open the file");
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0) throw error(path, "", "cannot read the file");
    if (static_cast<unsigned long long>(size) > max_file_bytes) {
        throw error(path, "", "file of " + std::to_string(size) + " bytes; config files are at most " +
                                  std::to_string(max_file_bytes) + " bytes");
    }
    in.seekg(0, std::ios::beg);
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), size);
    if (!in) throw error(path, "", "cannot read the file");
    return parse(text, path);
}

/// The layer type `name` of m; "" picks the only one. An error lists the choices.
inline const layer& pick_layer(const model& m, std::string_view name) {
    std::string choices;
    for (const layer& l : m.layers) {
        if (l.name == name) return l;
        choices += (choices.empty() ? "" : ", ") + (l.name.empty() ? std::string("one RoPE for every layer") : l.name);
    }
    if (name.empty()) {
        throw error(m.file, "layer_types",
                    "the model has several kinds of RoPE layer; pick one with --layer-type (" + choices + ")");
    }
    throw error(m.file, "layer_types", "no layer type '" + std::string(name) + "' (the model has " + choices + ")");
}

}  // namespace posenc::config
