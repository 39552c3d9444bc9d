import CZlib

/// gzip (RFC 1952) through the system's zlib: CloudTrail delivers its log files as `.json.gz`,
/// and SIEM collectors that read CloudTrail buckets expect that form.
enum Gzip {
    struct Failure: Error, CustomStringConvertible {
        let status: Int32
        var description: String { "gzip failed (zlib status \(status))" }
    }

    static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 16 selects the gzip wrapper; deflateInit2 is a macro, so its function is called.
        var status = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                                   Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw Failure(status: status) }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        var input = input
        status = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw Failure(status: status) }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}
