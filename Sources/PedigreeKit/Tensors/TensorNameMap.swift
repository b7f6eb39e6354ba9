/// How a child tensor's elements are laid out relative to its parent's.
public enum TensorLayout: Equatable, Sendable {
    /// Element `i` of the child is element `i` of the parent.
    case same
    /// The rows (first dimension) of the child are the parent's, reordered as llama.cpp's
    /// `convert_hf_to_gguf.py` (`LlamaModel.permute`) reorders the Q and K projections of a
    /// Hugging Face llama model for its rotary embedding: within each of `heads` heads, the two
    /// halves of the rows are interleaved (`reshape(heads, 2, rows/heads/2, …).swapaxes(1, 2)`).
    case ropeInterleaved(heads: Int)
    /// The inverse of `ropeInterleaved`: a GGUF parent, a Hugging Face child.
    case ropeDeinterleaved(heads: Int)

    /// A short name for reports.
    public var name: String {
        switch self {
        case .same: return "same"
        case .ropeInterleaved(let heads): return "llama Q/K rows interleaved (\(heads) heads)"
        case .ropeDeinterleaved(let heads): return "llama Q/K rows de-interleaved (\(heads) heads)"
        }
    }

    /// The parent row holding child row `row` of a tensor of `rows` rows; `nil` when the rows do
    /// not split into `heads` heads of two equal halves.
    func parentRow(_ row: Int64, rows: Int64) -> Int64? {
        switch self {
        case .same:
            return row
        case .ropeInterleaved(let heads), .ropeDeinterleaved(let heads):
            let heads = Int64(heads)
            guard heads > 0, rows % (2 * heads) == 0 else { return nil }
            let perHead = rows / heads
            let half = perHead / 2
            let head = row / perHead
            let within = row % perHead
            if case .ropeInterleaved = self {
                // Child index within the head is b * 2 + a; the parent's is a * half + b.
                return head * perHead + (within % 2) * half + within / 2
            }
            // Child index a * half + b; the parent's b * 2 + a.
            return head * perHead + (within % half) * 2 + within / half
        }
    }
}

/// The tensor names llama.cpp gives a Hugging Face llama model when it converts it to GGUF, so
/// tensors renamed by a conversion can be paired for value comparisons (identical bytes are
/// paired by digest whatever their names).
///
/// The table is gguf-py's `TensorNameMap` for `MODEL_ARCH.LLAMA` (`gguf/tensor_mapping.py`,
/// which `convert_hf_to_gguf.py` uses) restricted to the names a llama / Mistral checkpoint has;
/// the tests compare it with gguf-py. Other architectures' names (Qwen, Gemma, Phi, MoE
/// experts, vision towers) are not mapped: their renamed tensors pair only by digest, so a cast
/// or quantization of them reads as added and removed tensors.
public enum TensorNameMap {
    /// Which llama projection a tensor is, when its rows are permuted by the conversion.
    enum Permuted: Equatable { case query, key }

    /// The GGUF name of a Hugging Face llama tensor, and whether the conversion permutes it.
    static func llamaGGUFName(_ name: String) -> (name: String, permuted: Permuted?)? {
        switch name {
        case "model.embed_tokens.weight": return ("token_embd.weight", nil)
        case "model.norm.weight": return ("output_norm.weight", nil)
        case "lm_head.weight": return ("output.weight", nil)
        default: break
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]), layer >= 0,
            String(layer) == parts[2]
        else { return nil }
        let suffix = parts.last.map(String.init) ?? ""
        guard suffix == "weight" || suffix == "bias" else { return nil }
        let module = parts[3..<(parts.count - 1)].joined(separator: ".")
        let table: [String: (String, Permuted?)] = [
            "input_layernorm": ("attn_norm", nil),
            "self_attn.q_proj": ("attn_q", .query),
            "self_attn.k_proj": ("attn_k", .key),
            "self_attn.v_proj": ("attn_v", nil),
            "self_attn.o_proj": ("attn_output", nil),
            "self_attn.rotary_emb.inv_freq": ("attn_rot_embd", nil),
            "post_attention_layernorm": ("ffn_norm", nil),
            "mlp.gate_proj": ("ffn_gate", nil),
            "mlp.up_proj": ("ffn_up", nil),
            "mlp.down_proj": ("ffn_down", nil),
        ]
        guard let (gguf, permuted) = table[module] else { return nil }
        return ("blk.\(layer).\(gguf).\(suffix)", permuted)
    }

    /// The GGUF name of a Hugging Face llama tensor (`model.layers.3.self_attn.q_proj.weight`
    /// → `blk.3.attn_q.weight`), or `nil` when the name is not one of a llama checkpoint.
    public static func llamaGGUFName(forHuggingFace name: String) -> String? {
        llamaGGUFName(name)?.name
    }
}
