package dev.slipway.inference.v2;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * The inference data plane: health, metadata and inference, plus the model repository extension.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class GRPCInferenceServiceGrpc {

  private GRPCInferenceServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "inference.GRPCInferenceService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.ServerLiveRequest,
      dev.slipway.inference.v2.ServerLiveResponse> getServerLiveMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ServerLive",
      requestType = dev.slipway.inference.v2.ServerLiveRequest.class,
      responseType = dev.slipway.inference.v2.ServerLiveResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.ServerLiveRequest,
      dev.slipway.inference.v2.ServerLiveResponse> getServerLiveMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.ServerLiveRequest, dev.slipway.inference.v2.ServerLiveResponse> getServerLiveMethod;
    if ((getServerLiveMethod = GRPCInferenceServiceGrpc.getServerLiveMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getServerLiveMethod = GRPCInferenceServiceGrpc.getServerLiveMethod) == null) {
          GRPCInferenceServiceGrpc.getServerLiveMethod = getServerLiveMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.ServerLiveRequest, dev.slipway.inference.v2.ServerLiveResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ServerLive"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ServerLiveRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ServerLiveResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("ServerLive"))
              .build();
        }
      }
    }
    return getServerLiveMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.ServerReadyRequest,
      dev.slipway.inference.v2.ServerReadyResponse> getServerReadyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ServerReady",
      requestType = dev.slipway.inference.v2.ServerReadyRequest.class,
      responseType = dev.slipway.inference.v2.ServerReadyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.ServerReadyRequest,
      dev.slipway.inference.v2.ServerReadyResponse> getServerReadyMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.ServerReadyRequest, dev.slipway.inference.v2.ServerReadyResponse> getServerReadyMethod;
    if ((getServerReadyMethod = GRPCInferenceServiceGrpc.getServerReadyMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getServerReadyMethod = GRPCInferenceServiceGrpc.getServerReadyMethod) == null) {
          GRPCInferenceServiceGrpc.getServerReadyMethod = getServerReadyMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.ServerReadyRequest, dev.slipway.inference.v2.ServerReadyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ServerReady"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ServerReadyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ServerReadyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("ServerReady"))
              .build();
        }
      }
    }
    return getServerReadyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelReadyRequest,
      dev.slipway.inference.v2.ModelReadyResponse> getModelReadyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ModelReady",
      requestType = dev.slipway.inference.v2.ModelReadyRequest.class,
      responseType = dev.slipway.inference.v2.ModelReadyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelReadyRequest,
      dev.slipway.inference.v2.ModelReadyResponse> getModelReadyMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelReadyRequest, dev.slipway.inference.v2.ModelReadyResponse> getModelReadyMethod;
    if ((getModelReadyMethod = GRPCInferenceServiceGrpc.getModelReadyMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getModelReadyMethod = GRPCInferenceServiceGrpc.getModelReadyMethod) == null) {
          GRPCInferenceServiceGrpc.getModelReadyMethod = getModelReadyMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.ModelReadyRequest, dev.slipway.inference.v2.ModelReadyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ModelReady"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelReadyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelReadyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("ModelReady"))
              .build();
        }
      }
    }
    return getModelReadyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.ServerMetadataRequest,
      dev.slipway.inference.v2.ServerMetadataResponse> getServerMetadataMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ServerMetadata",
      requestType = dev.slipway.inference.v2.ServerMetadataRequest.class,
      responseType = dev.slipway.inference.v2.ServerMetadataResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.ServerMetadataRequest,
      dev.slipway.inference.v2.ServerMetadataResponse> getServerMetadataMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.ServerMetadataRequest, dev.slipway.inference.v2.ServerMetadataResponse> getServerMetadataMethod;
    if ((getServerMetadataMethod = GRPCInferenceServiceGrpc.getServerMetadataMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getServerMetadataMethod = GRPCInferenceServiceGrpc.getServerMetadataMethod) == null) {
          GRPCInferenceServiceGrpc.getServerMetadataMethod = getServerMetadataMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.ServerMetadataRequest, dev.slipway.inference.v2.ServerMetadataResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ServerMetadata"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ServerMetadataRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ServerMetadataResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("ServerMetadata"))
              .build();
        }
      }
    }
    return getServerMetadataMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelMetadataRequest,
      dev.slipway.inference.v2.ModelMetadataResponse> getModelMetadataMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ModelMetadata",
      requestType = dev.slipway.inference.v2.ModelMetadataRequest.class,
      responseType = dev.slipway.inference.v2.ModelMetadataResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelMetadataRequest,
      dev.slipway.inference.v2.ModelMetadataResponse> getModelMetadataMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelMetadataRequest, dev.slipway.inference.v2.ModelMetadataResponse> getModelMetadataMethod;
    if ((getModelMetadataMethod = GRPCInferenceServiceGrpc.getModelMetadataMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getModelMetadataMethod = GRPCInferenceServiceGrpc.getModelMetadataMethod) == null) {
          GRPCInferenceServiceGrpc.getModelMetadataMethod = getModelMetadataMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.ModelMetadataRequest, dev.slipway.inference.v2.ModelMetadataResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ModelMetadata"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelMetadataRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelMetadataResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("ModelMetadata"))
              .build();
        }
      }
    }
    return getModelMetadataMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelInferRequest,
      dev.slipway.inference.v2.ModelInferResponse> getModelInferMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ModelInfer",
      requestType = dev.slipway.inference.v2.ModelInferRequest.class,
      responseType = dev.slipway.inference.v2.ModelInferResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelInferRequest,
      dev.slipway.inference.v2.ModelInferResponse> getModelInferMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelInferRequest, dev.slipway.inference.v2.ModelInferResponse> getModelInferMethod;
    if ((getModelInferMethod = GRPCInferenceServiceGrpc.getModelInferMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getModelInferMethod = GRPCInferenceServiceGrpc.getModelInferMethod) == null) {
          GRPCInferenceServiceGrpc.getModelInferMethod = getModelInferMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.ModelInferRequest, dev.slipway.inference.v2.ModelInferResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ModelInfer"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelInferRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelInferResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("ModelInfer"))
              .build();
        }
      }
    }
    return getModelInferMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelInferRequest,
      dev.slipway.inference.v2.ModelStreamInferResponse> getModelStreamInferMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ModelStreamInfer",
      requestType = dev.slipway.inference.v2.ModelInferRequest.class,
      responseType = dev.slipway.inference.v2.ModelStreamInferResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelInferRequest,
      dev.slipway.inference.v2.ModelStreamInferResponse> getModelStreamInferMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelInferRequest, dev.slipway.inference.v2.ModelStreamInferResponse> getModelStreamInferMethod;
    if ((getModelStreamInferMethod = GRPCInferenceServiceGrpc.getModelStreamInferMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getModelStreamInferMethod = GRPCInferenceServiceGrpc.getModelStreamInferMethod) == null) {
          GRPCInferenceServiceGrpc.getModelStreamInferMethod = getModelStreamInferMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.ModelInferRequest, dev.slipway.inference.v2.ModelStreamInferResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ModelStreamInfer"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelInferRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelStreamInferResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("ModelStreamInfer"))
              .build();
        }
      }
    }
    return getModelStreamInferMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelConfigRequest,
      dev.slipway.inference.v2.ModelConfigResponse> getModelConfigMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ModelConfig",
      requestType = dev.slipway.inference.v2.ModelConfigRequest.class,
      responseType = dev.slipway.inference.v2.ModelConfigResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelConfigRequest,
      dev.slipway.inference.v2.ModelConfigResponse> getModelConfigMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelConfigRequest, dev.slipway.inference.v2.ModelConfigResponse> getModelConfigMethod;
    if ((getModelConfigMethod = GRPCInferenceServiceGrpc.getModelConfigMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getModelConfigMethod = GRPCInferenceServiceGrpc.getModelConfigMethod) == null) {
          GRPCInferenceServiceGrpc.getModelConfigMethod = getModelConfigMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.ModelConfigRequest, dev.slipway.inference.v2.ModelConfigResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ModelConfig"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelConfigRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelConfigResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("ModelConfig"))
              .build();
        }
      }
    }
    return getModelConfigMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelStatisticsRequest,
      dev.slipway.inference.v2.ModelStatisticsResponse> getModelStatisticsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ModelStatistics",
      requestType = dev.slipway.inference.v2.ModelStatisticsRequest.class,
      responseType = dev.slipway.inference.v2.ModelStatisticsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelStatisticsRequest,
      dev.slipway.inference.v2.ModelStatisticsResponse> getModelStatisticsMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.ModelStatisticsRequest, dev.slipway.inference.v2.ModelStatisticsResponse> getModelStatisticsMethod;
    if ((getModelStatisticsMethod = GRPCInferenceServiceGrpc.getModelStatisticsMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getModelStatisticsMethod = GRPCInferenceServiceGrpc.getModelStatisticsMethod) == null) {
          GRPCInferenceServiceGrpc.getModelStatisticsMethod = getModelStatisticsMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.ModelStatisticsRequest, dev.slipway.inference.v2.ModelStatisticsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ModelStatistics"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelStatisticsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.ModelStatisticsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("ModelStatistics"))
              .build();
        }
      }
    }
    return getModelStatisticsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.RepositoryIndexRequest,
      dev.slipway.inference.v2.RepositoryIndexResponse> getRepositoryIndexMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RepositoryIndex",
      requestType = dev.slipway.inference.v2.RepositoryIndexRequest.class,
      responseType = dev.slipway.inference.v2.RepositoryIndexResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.RepositoryIndexRequest,
      dev.slipway.inference.v2.RepositoryIndexResponse> getRepositoryIndexMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.RepositoryIndexRequest, dev.slipway.inference.v2.RepositoryIndexResponse> getRepositoryIndexMethod;
    if ((getRepositoryIndexMethod = GRPCInferenceServiceGrpc.getRepositoryIndexMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getRepositoryIndexMethod = GRPCInferenceServiceGrpc.getRepositoryIndexMethod) == null) {
          GRPCInferenceServiceGrpc.getRepositoryIndexMethod = getRepositoryIndexMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.RepositoryIndexRequest, dev.slipway.inference.v2.RepositoryIndexResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RepositoryIndex"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.RepositoryIndexRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.RepositoryIndexResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("RepositoryIndex"))
              .build();
        }
      }
    }
    return getRepositoryIndexMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.RepositoryModelLoadRequest,
      dev.slipway.inference.v2.RepositoryModelLoadResponse> getRepositoryModelLoadMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RepositoryModelLoad",
      requestType = dev.slipway.inference.v2.RepositoryModelLoadRequest.class,
      responseType = dev.slipway.inference.v2.RepositoryModelLoadResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.RepositoryModelLoadRequest,
      dev.slipway.inference.v2.RepositoryModelLoadResponse> getRepositoryModelLoadMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.RepositoryModelLoadRequest, dev.slipway.inference.v2.RepositoryModelLoadResponse> getRepositoryModelLoadMethod;
    if ((getRepositoryModelLoadMethod = GRPCInferenceServiceGrpc.getRepositoryModelLoadMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getRepositoryModelLoadMethod = GRPCInferenceServiceGrpc.getRepositoryModelLoadMethod) == null) {
          GRPCInferenceServiceGrpc.getRepositoryModelLoadMethod = getRepositoryModelLoadMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.RepositoryModelLoadRequest, dev.slipway.inference.v2.RepositoryModelLoadResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RepositoryModelLoad"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.RepositoryModelLoadRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.RepositoryModelLoadResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("RepositoryModelLoad"))
              .build();
        }
      }
    }
    return getRepositoryModelLoadMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.inference.v2.RepositoryModelUnloadRequest,
      dev.slipway.inference.v2.RepositoryModelUnloadResponse> getRepositoryModelUnloadMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RepositoryModelUnload",
      requestType = dev.slipway.inference.v2.RepositoryModelUnloadRequest.class,
      responseType = dev.slipway.inference.v2.RepositoryModelUnloadResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.inference.v2.RepositoryModelUnloadRequest,
      dev.slipway.inference.v2.RepositoryModelUnloadResponse> getRepositoryModelUnloadMethod() {
    io.grpc.MethodDescriptor<dev.slipway.inference.v2.RepositoryModelUnloadRequest, dev.slipway.inference.v2.RepositoryModelUnloadResponse> getRepositoryModelUnloadMethod;
    if ((getRepositoryModelUnloadMethod = GRPCInferenceServiceGrpc.getRepositoryModelUnloadMethod) == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        if ((getRepositoryModelUnloadMethod = GRPCInferenceServiceGrpc.getRepositoryModelUnloadMethod) == null) {
          GRPCInferenceServiceGrpc.getRepositoryModelUnloadMethod = getRepositoryModelUnloadMethod =
              io.grpc.MethodDescriptor.<dev.slipway.inference.v2.RepositoryModelUnloadRequest, dev.slipway.inference.v2.RepositoryModelUnloadResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RepositoryModelUnload"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.RepositoryModelUnloadRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.inference.v2.RepositoryModelUnloadResponse.getDefaultInstance()))
              .setSchemaDescriptor(new GRPCInferenceServiceMethodDescriptorSupplier("RepositoryModelUnload"))
              .build();
        }
      }
    }
    return getRepositoryModelUnloadMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static GRPCInferenceServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<GRPCInferenceServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<GRPCInferenceServiceStub>() {
        @java.lang.Override
        public GRPCInferenceServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new GRPCInferenceServiceStub(channel, callOptions);
        }
      };
    return GRPCInferenceServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static GRPCInferenceServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<GRPCInferenceServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<GRPCInferenceServiceBlockingV2Stub>() {
        @java.lang.Override
        public GRPCInferenceServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new GRPCInferenceServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return GRPCInferenceServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static GRPCInferenceServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<GRPCInferenceServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<GRPCInferenceServiceBlockingStub>() {
        @java.lang.Override
        public GRPCInferenceServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new GRPCInferenceServiceBlockingStub(channel, callOptions);
        }
      };
    return GRPCInferenceServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static GRPCInferenceServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<GRPCInferenceServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<GRPCInferenceServiceFutureStub>() {
        @java.lang.Override
        public GRPCInferenceServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new GRPCInferenceServiceFutureStub(channel, callOptions);
        }
      };
    return GRPCInferenceServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * The inference data plane: health, metadata and inference, plus the model repository extension.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Whether the server process is alive (able to answer at all).
     * </pre>
     */
    default void serverLive(dev.slipway.inference.v2.ServerLiveRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ServerLiveResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getServerLiveMethod(), responseObserver);
    }

    /**
     * <pre>
     * Whether the server is ready: every configured model is loaded and can answer.
     * </pre>
     */
    default void serverReady(dev.slipway.inference.v2.ServerReadyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ServerReadyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getServerReadyMethod(), responseObserver);
    }

    /**
     * <pre>
     * Whether one model (and version) is ready. An unknown model answers `ready: false` rather
     * than an error.
     * </pre>
     */
    default void modelReady(dev.slipway.inference.v2.ModelReadyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelReadyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getModelReadyMethod(), responseObserver);
    }

    /**
     * <pre>
     * The server's name, version and supported protocol extensions.
     * </pre>
     */
    default void serverMetadata(dev.slipway.inference.v2.ServerMetadataRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ServerMetadataResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getServerMetadataMethod(), responseObserver);
    }

    /**
     * <pre>
     * A model's versions, platform, and the names, datatypes and shapes of its inputs and outputs.
     * The inputs are listed one per feature, shape `[-1]`; a request may instead send one
     * `[N, F]` tensor of any name holding every feature in the listed order (tritonclient's usual
     * form), whose shape `[-1, F]` travels in the `slipway-matrix-input` response header and in
     * ModelConfig's `matrix_input_shape` parameter. Whether the model predicts with a missing value travels in the response headers (the
     * protocol's response has no parameters): `slipway-missing-numbers` for its non-BYTES inputs
     * and `slipway-missing-text` for its BYTES inputs, each `accepted` or `refused` (the latter
     * answered INVALID_ARGUMENT, MISSING_VALUE_REFUSED or NON_FINITE_INPUT), present when the
     * model has such an input.
     * </pre>
     */
    default void modelMetadata(dev.slipway.inference.v2.ModelMetadataRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelMetadataResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getModelMetadataMethod(), responseObserver);
    }

    /**
     * <pre>
     * Runs inference on one request.
     * </pre>
     */
    default void modelInfer(dev.slipway.inference.v2.ModelInferRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelInferResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getModelInferMethod(), responseObserver);
    }

    /**
     * <pre>
     * Runs inference on a stream of requests, for clients that pipeline them: each request is
     * answered like ModelInfer, on the stream, in the order the requests were sent. A request
     * that fails is answered with its error in `error_message` and the stream goes on. At most
     * `--max-stream-in-flight` requests of one stream are worked on at once; the stream reads
     * no further request until one of them is answered.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelInferRequest> modelStreamInfer(
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelStreamInferResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getModelStreamInferMethod(), responseObserver);
    }

    /**
     * <pre>
     * A model's configuration in Triton's form: its inputs (one per feature), outputs and the
     * most rows a request may hold (`max_batch_size`).
     * </pre>
     */
    default void modelConfig(dev.slipway.inference.v2.ModelConfigRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelConfigResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getModelConfigMethod(), responseObserver);
    }

    /**
     * <pre>
     * Per model and version, the requests answered and failed and the time they took, counted
     * since the version was loaded in this process.
     * </pre>
     */
    default void modelStatistics(dev.slipway.inference.v2.ModelStatisticsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelStatisticsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getModelStatisticsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Repository extension: lists the models the server knows and their state.
     * </pre>
     */
    default void repositoryIndex(dev.slipway.inference.v2.RepositoryIndexRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.RepositoryIndexResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRepositoryIndexMethod(), responseObserver);
    }

    /**
     * <pre>
     * Repository extension: loads or reloads a model.
     * </pre>
     */
    default void repositoryModelLoad(dev.slipway.inference.v2.RepositoryModelLoadRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.RepositoryModelLoadResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRepositoryModelLoadMethod(), responseObserver);
    }

    /**
     * <pre>
     * Repository extension: unloads a model.
     * </pre>
     */
    default void repositoryModelUnload(dev.slipway.inference.v2.RepositoryModelUnloadRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.RepositoryModelUnloadResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRepositoryModelUnloadMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service GRPCInferenceService.
   * <pre>
   * The inference data plane: health, metadata and inference, plus the model repository extension.
   * </pre>
   */
  public static abstract class GRPCInferenceServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return GRPCInferenceServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service GRPCInferenceService.
   * <pre>
   * The inference data plane: health, metadata and inference, plus the model repository extension.
   * </pre>
   */
  public static final class GRPCInferenceServiceStub
      extends io.grpc.stub.AbstractAsyncStub<GRPCInferenceServiceStub> {
    private GRPCInferenceServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected GRPCInferenceServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new GRPCInferenceServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Whether the server process is alive (able to answer at all).
     * </pre>
     */
    public void serverLive(dev.slipway.inference.v2.ServerLiveRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ServerLiveResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getServerLiveMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Whether the server is ready: every configured model is loaded and can answer.
     * </pre>
     */
    public void serverReady(dev.slipway.inference.v2.ServerReadyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ServerReadyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getServerReadyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Whether one model (and version) is ready. An unknown model answers `ready: false` rather
     * than an error.
     * </pre>
     */
    public void modelReady(dev.slipway.inference.v2.ModelReadyRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelReadyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getModelReadyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * The server's name, version and supported protocol extensions.
     * </pre>
     */
    public void serverMetadata(dev.slipway.inference.v2.ServerMetadataRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ServerMetadataResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getServerMetadataMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * A model's versions, platform, and the names, datatypes and shapes of its inputs and outputs.
     * The inputs are listed one per feature, shape `[-1]`; a request may instead send one
     * `[N, F]` tensor of any name holding every feature in the listed order (tritonclient's usual
     * form), whose shape `[-1, F]` travels in the `slipway-matrix-input` response header and in
     * ModelConfig's `matrix_input_shape` parameter. Whether the model predicts with a missing value travels in the response headers (the
     * protocol's response has no parameters): `slipway-missing-numbers` for its non-BYTES inputs
     * and `slipway-missing-text` for its BYTES inputs, each `accepted` or `refused` (the latter
     * answered INVALID_ARGUMENT, MISSING_VALUE_REFUSED or NON_FINITE_INPUT), present when the
     * model has such an input.
     * </pre>
     */
    public void modelMetadata(dev.slipway.inference.v2.ModelMetadataRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelMetadataResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getModelMetadataMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Runs inference on one request.
     * </pre>
     */
    public void modelInfer(dev.slipway.inference.v2.ModelInferRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelInferResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getModelInferMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Runs inference on a stream of requests, for clients that pipeline them: each request is
     * answered like ModelInfer, on the stream, in the order the requests were sent. A request
     * that fails is answered with its error in `error_message` and the stream goes on. At most
     * `--max-stream-in-flight` requests of one stream are worked on at once; the stream reads
     * no further request until one of them is answered.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelInferRequest> modelStreamInfer(
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelStreamInferResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getModelStreamInferMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * A model's configuration in Triton's form: its inputs (one per feature), outputs and the
     * most rows a request may hold (`max_batch_size`).
     * </pre>
     */
    public void modelConfig(dev.slipway.inference.v2.ModelConfigRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelConfigResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getModelConfigMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Per model and version, the requests answered and failed and the time they took, counted
     * since the version was loaded in this process.
     * </pre>
     */
    public void modelStatistics(dev.slipway.inference.v2.ModelStatisticsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelStatisticsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getModelStatisticsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Repository extension: lists the models the server knows and their state.
     * </pre>
     */
    public void repositoryIndex(dev.slipway.inference.v2.RepositoryIndexRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.RepositoryIndexResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRepositoryIndexMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Repository extension: loads or reloads a model.
     * </pre>
     */
    public void repositoryModelLoad(dev.slipway.inference.v2.RepositoryModelLoadRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.RepositoryModelLoadResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRepositoryModelLoadMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Repository extension: unloads a model.
     * </pre>
     */
    public void repositoryModelUnload(dev.slipway.inference.v2.RepositoryModelUnloadRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.inference.v2.RepositoryModelUnloadResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRepositoryModelUnloadMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service GRPCInferenceService.
   * <pre>
   * The inference data plane: health, metadata and inference, plus the model repository extension.
   * </pre>
   */
  public static final class GRPCInferenceServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<GRPCInferenceServiceBlockingV2Stub> {
    private GRPCInferenceServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected GRPCInferenceServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new GRPCInferenceServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Whether the server process is alive (able to answer at all).
     * </pre>
     */
    public dev.slipway.inference.v2.ServerLiveResponse serverLive(dev.slipway.inference.v2.ServerLiveRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getServerLiveMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Whether the server is ready: every configured model is loaded and can answer.
     * </pre>
     */
    public dev.slipway.inference.v2.ServerReadyResponse serverReady(dev.slipway.inference.v2.ServerReadyRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getServerReadyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Whether one model (and version) is ready. An unknown model answers `ready: false` rather
     * than an error.
     * </pre>
     */
    public dev.slipway.inference.v2.ModelReadyResponse modelReady(dev.slipway.inference.v2.ModelReadyRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getModelReadyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * The server's name, version and supported protocol extensions.
     * </pre>
     */
    public dev.slipway.inference.v2.ServerMetadataResponse serverMetadata(dev.slipway.inference.v2.ServerMetadataRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getServerMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * A model's versions, platform, and the names, datatypes and shapes of its inputs and outputs.
     * The inputs are listed one per feature, shape `[-1]`; a request may instead send one
     * `[N, F]` tensor of any name holding every feature in the listed order (tritonclient's usual
     * form), whose shape `[-1, F]` travels in the `slipway-matrix-input` response header and in
     * ModelConfig's `matrix_input_shape` parameter. Whether the model predicts with a missing value travels in the response headers (the
     * protocol's response has no parameters): `slipway-missing-numbers` for its non-BYTES inputs
     * and `slipway-missing-text` for its BYTES inputs, each `accepted` or `refused` (the latter
     * answered INVALID_ARGUMENT, MISSING_VALUE_REFUSED or NON_FINITE_INPUT), present when the
     * model has such an input.
     * </pre>
     */
    public dev.slipway.inference.v2.ModelMetadataResponse modelMetadata(dev.slipway.inference.v2.ModelMetadataRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getModelMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Runs inference on one request.
     * </pre>
     */
    public dev.slipway.inference.v2.ModelInferResponse modelInfer(dev.slipway.inference.v2.ModelInferRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getModelInferMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Runs inference on a stream of requests, for clients that pipeline them: each request is
     * answered like ModelInfer, on the stream, in the order the requests were sent. A request
     * that fails is answered with its error in `error_message` and the stream goes on. At most
     * `--max-stream-in-flight` requests of one stream are worked on at once; the stream reads
     * no further request until one of them is answered.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<dev.slipway.inference.v2.ModelInferRequest, dev.slipway.inference.v2.ModelStreamInferResponse>
        modelStreamInfer() {
      return io.grpc.stub.ClientCalls.blockingBidiStreamingCall(
          getChannel(), getModelStreamInferMethod(), getCallOptions());
    }

    /**
     * <pre>
     * A model's configuration in Triton's form: its inputs (one per feature), outputs and the
     * most rows a request may hold (`max_batch_size`).
     * </pre>
     */
    public dev.slipway.inference.v2.ModelConfigResponse modelConfig(dev.slipway.inference.v2.ModelConfigRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getModelConfigMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Per model and version, the requests answered and failed and the time they took, counted
     * since the version was loaded in this process.
     * </pre>
     */
    public dev.slipway.inference.v2.ModelStatisticsResponse modelStatistics(dev.slipway.inference.v2.ModelStatisticsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getModelStatisticsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Repository extension: lists the models the server knows and their state.
     * </pre>
     */
    public dev.slipway.inference.v2.RepositoryIndexResponse repositoryIndex(dev.slipway.inference.v2.RepositoryIndexRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getRepositoryIndexMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Repository extension: loads or reloads a model.
     * </pre>
     */
    public dev.slipway.inference.v2.RepositoryModelLoadResponse repositoryModelLoad(dev.slipway.inference.v2.RepositoryModelLoadRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getRepositoryModelLoadMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Repository extension: unloads a model.
     * </pre>
     */
    public dev.slipway.inference.v2.RepositoryModelUnloadResponse repositoryModelUnload(dev.slipway.inference.v2.RepositoryModelUnloadRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getRepositoryModelUnloadMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service GRPCInferenceService.
   * <pre>
   * The inference data plane: health, metadata and inference, plus the model repository extension.
   * </pre>
   */
  public static final class GRPCInferenceServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<GRPCInferenceServiceBlockingStub> {
    private GRPCInferenceServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected GRPCInferenceServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new GRPCInferenceServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Whether the server process is alive (able to answer at all).
     * </pre>
     */
    public dev.slipway.inference.v2.ServerLiveResponse serverLive(dev.slipway.inference.v2.ServerLiveRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getServerLiveMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Whether the server is ready: every configured model is loaded and can answer.
     * </pre>
     */
    public dev.slipway.inference.v2.ServerReadyResponse serverReady(dev.slipway.inference.v2.ServerReadyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getServerReadyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Whether one model (and version) is ready. An unknown model answers `ready: false` rather
     * than an error.
     * </pre>
     */
    public dev.slipway.inference.v2.ModelReadyResponse modelReady(dev.slipway.inference.v2.ModelReadyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getModelReadyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * The server's name, version and supported protocol extensions.
     * </pre>
     */
    public dev.slipway.inference.v2.ServerMetadataResponse serverMetadata(dev.slipway.inference.v2.ServerMetadataRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getServerMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * A model's versions, platform, and the names, datatypes and shapes of its inputs and outputs.
     * The inputs are listed one per feature, shape `[-1]`; a request may instead send one
     * `[N, F]` tensor of any name holding every feature in the listed order (tritonclient's usual
     * form), whose shape `[-1, F]` travels in the `slipway-matrix-input` response header and in
     * ModelConfig's `matrix_input_shape` parameter. Whether the model predicts with a missing value travels in the response headers (the
     * protocol's response has no parameters): `slipway-missing-numbers` for its non-BYTES inputs
     * and `slipway-missing-text` for its BYTES inputs, each `accepted` or `refused` (the latter
     * answered INVALID_ARGUMENT, MISSING_VALUE_REFUSED or NON_FINITE_INPUT), present when the
     * model has such an input.
     * </pre>
     */
    public dev.slipway.inference.v2.ModelMetadataResponse modelMetadata(dev.slipway.inference.v2.ModelMetadataRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getModelMetadataMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Runs inference on one request.
     * </pre>
     */
    public dev.slipway.inference.v2.ModelInferResponse modelInfer(dev.slipway.inference.v2.ModelInferRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getModelInferMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * A model's configuration in Triton's form: its inputs (one per feature), outputs and the
     * most rows a request may hold (`max_batch_size`).
     * </pre>
     */
    public dev.slipway.inference.v2.ModelConfigResponse modelConfig(dev.slipway.inference.v2.ModelConfigRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getModelConfigMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Per model and version, the requests answered and failed and the time they took, counted
     * since the version was loaded in this process.
     * </pre>
     */
    public dev.slipway.inference.v2.ModelStatisticsResponse modelStatistics(dev.slipway.inference.v2.ModelStatisticsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getModelStatisticsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Repository extension: lists the models the server knows and their state.
     * </pre>
     */
    public dev.slipway.inference.v2.RepositoryIndexResponse repositoryIndex(dev.slipway.inference.v2.RepositoryIndexRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRepositoryIndexMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Repository extension: loads or reloads a model.
     * </pre>
     */
    public dev.slipway.inference.v2.RepositoryModelLoadResponse repositoryModelLoad(dev.slipway.inference.v2.RepositoryModelLoadRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRepositoryModelLoadMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Repository extension: unloads a model.
     * </pre>
     */
    public dev.slipway.inference.v2.RepositoryModelUnloadResponse repositoryModelUnload(dev.slipway.inference.v2.RepositoryModelUnloadRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRepositoryModelUnloadMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service GRPCInferenceService.
   * <pre>
   * The inference data plane: health, metadata and inference, plus the model repository extension.
   * </pre>
   */
  public static final class GRPCInferenceServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<GRPCInferenceServiceFutureStub> {
    private GRPCInferenceServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected GRPCInferenceServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new GRPCInferenceServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Whether the server process is alive (able to answer at all).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.inference.v2.ServerLiveResponse> serverLive(
        dev.slipway.inference.v2.ServerLiveRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getServerLiveMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Whether the server is ready: every configured model is loaded and can answer.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.inference.v2.ServerReadyResponse> serverReady(
        dev.slipway.inference.v2.ServerReadyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getServerReadyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Whether one model (and version) is ready. An unknown model answers `ready: false` rather
     * than an error.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.inference.v2.ModelReadyResponse> modelReady(
        dev.slipway.inference.v2.ModelReadyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getModelReadyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * The server's name, version and supported protocol extensions.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.inference.v2.ServerMetadataResponse> serverMetadata(
        dev.slipway.inference.v2.ServerMetadataRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getServerMetadataMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * A model's versions, platform, and the names, datatypes and shapes of its inputs and outputs.
     * The inputs are listed one per feature, shape `[-1]`; a request may instead send one
     * `[N, F]` tensor of any name holding every feature in the listed order (tritonclient's usual
     * form), whose shape `[-1, F]` travels in the `slipway-matrix-input` response header and in
     * ModelConfig's `matrix_input_shape` parameter. Whether the model predicts with a missing value travels in the response headers (the
     * protocol's response has no parameters): `slipway-missing-numbers` for its non-BYTES inputs
     * and `slipway-missing-text` for its BYTES inputs, each `accepted` or `refused` (the latter
     * answered INVALID_ARGUMENT, MISSING_VALUE_REFUSED or NON_FINITE_INPUT), present when the
     * model has such an input.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.inference.v2.ModelMetadataResponse> modelMetadata(
        dev.slipway.inference.v2.ModelMetadataRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getModelMetadataMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Runs inference on one request.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.inference.v2.ModelInferResponse> modelInfer(
        dev.slipway.inference.v2.ModelInferRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getModelInferMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * A model's configuration in Triton's form: its inputs (one per feature), outputs and the
     * most rows a request may hold (`max_batch_size`).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.inference.v2.ModelConfigResponse> modelConfig(
        dev.slipway.inference.v2.ModelConfigRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getModelConfigMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Per model and version, the requests answered and failed and the time they took, counted
     * since the version was loaded in this process.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.inference.v2.ModelStatisticsResponse> modelStatistics(
        dev.slipway.inference.v2.ModelStatisticsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getModelStatisticsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Repository extension: lists the models the server knows and their state.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.inference.v2.RepositoryIndexResponse> repositoryIndex(
        dev.slipway.inference.v2.RepositoryIndexRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRepositoryIndexMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Repository extension: loads or reloads a model.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.inference.v2.RepositoryModelLoadResponse> repositoryModelLoad(
        dev.slipway.inference.v2.RepositoryModelLoadRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRepositoryModelLoadMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Repository extension: unloads a model.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.inference.v2.RepositoryModelUnloadResponse> repositoryModelUnload(
        dev.slipway.inference.v2.RepositoryModelUnloadRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRepositoryModelUnloadMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_SERVER_LIVE = 0;
  private static final int METHODID_SERVER_READY = 1;
  private static final int METHODID_MODEL_READY = 2;
  private static final int METHODID_SERVER_METADATA = 3;
  private static final int METHODID_MODEL_METADATA = 4;
  private static final int METHODID_MODEL_INFER = 5;
  private static final int METHODID_MODEL_CONFIG = 6;
  private static final int METHODID_MODEL_STATISTICS = 7;
  private static final int METHODID_REPOSITORY_INDEX = 8;
  private static final int METHODID_REPOSITORY_MODEL_LOAD = 9;
  private static final int METHODID_REPOSITORY_MODEL_UNLOAD = 10;
  private static final int METHODID_MODEL_STREAM_INFER = 11;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_SERVER_LIVE:
          serviceImpl.serverLive((dev.slipway.inference.v2.ServerLiveRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ServerLiveResponse>) responseObserver);
          break;
        case METHODID_SERVER_READY:
          serviceImpl.serverReady((dev.slipway.inference.v2.ServerReadyRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ServerReadyResponse>) responseObserver);
          break;
        case METHODID_MODEL_READY:
          serviceImpl.modelReady((dev.slipway.inference.v2.ModelReadyRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelReadyResponse>) responseObserver);
          break;
        case METHODID_SERVER_METADATA:
          serviceImpl.serverMetadata((dev.slipway.inference.v2.ServerMetadataRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ServerMetadataResponse>) responseObserver);
          break;
        case METHODID_MODEL_METADATA:
          serviceImpl.modelMetadata((dev.slipway.inference.v2.ModelMetadataRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelMetadataResponse>) responseObserver);
          break;
        case METHODID_MODEL_INFER:
          serviceImpl.modelInfer((dev.slipway.inference.v2.ModelInferRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelInferResponse>) responseObserver);
          break;
        case METHODID_MODEL_CONFIG:
          serviceImpl.modelConfig((dev.slipway.inference.v2.ModelConfigRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelConfigResponse>) responseObserver);
          break;
        case METHODID_MODEL_STATISTICS:
          serviceImpl.modelStatistics((dev.slipway.inference.v2.ModelStatisticsRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelStatisticsResponse>) responseObserver);
          break;
        case METHODID_REPOSITORY_INDEX:
          serviceImpl.repositoryIndex((dev.slipway.inference.v2.RepositoryIndexRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.RepositoryIndexResponse>) responseObserver);
          break;
        case METHODID_REPOSITORY_MODEL_LOAD:
          serviceImpl.repositoryModelLoad((dev.slipway.inference.v2.RepositoryModelLoadRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.RepositoryModelLoadResponse>) responseObserver);
          break;
        case METHODID_REPOSITORY_MODEL_UNLOAD:
          serviceImpl.repositoryModelUnload((dev.slipway.inference.v2.RepositoryModelUnloadRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.RepositoryModelUnloadResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_MODEL_STREAM_INFER:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.modelStreamInfer(
              (io.grpc.stub.StreamObserver<dev.slipway.inference.v2.ModelStreamInferResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getServerLiveMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.inference.v2.ServerLiveRequest,
              dev.slipway.inference.v2.ServerLiveResponse>(
                service, METHODID_SERVER_LIVE)))
        .addMethod(
          getServerReadyMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.inference.v2.ServerReadyRequest,
              dev.slipway.inference.v2.ServerReadyResponse>(
                service, METHODID_SERVER_READY)))
        .addMethod(
          getModelReadyMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.inference.v2.ModelReadyRequest,
              dev.slipway.inference.v2.ModelReadyResponse>(
                service, METHODID_MODEL_READY)))
        .addMethod(
          getServerMetadataMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.inference.v2.ServerMetadataRequest,
              dev.slipway.inference.v2.ServerMetadataResponse>(
                service, METHODID_SERVER_METADATA)))
        .addMethod(
          getModelMetadataMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.inference.v2.ModelMetadataRequest,
              dev.slipway.inference.v2.ModelMetadataResponse>(
                service, METHODID_MODEL_METADATA)))
        .addMethod(
          getModelInferMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.inference.v2.ModelInferRequest,
              dev.slipway.inference.v2.ModelInferResponse>(
                service, METHODID_MODEL_INFER)))
        .addMethod(
          getModelStreamInferMethod(),
          io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
            new MethodHandlers<
              dev.slipway.inference.v2.ModelInferRequest,
              dev.slipway.inference.v2.ModelStreamInferResponse>(
                service, METHODID_MODEL_STREAM_INFER)))
        .addMethod(
          getModelConfigMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.inference.v2.ModelConfigRequest,
              dev.slipway.inference.v2.ModelConfigResponse>(
                service, METHODID_MODEL_CONFIG)))
        .addMethod(
          getModelStatisticsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.inference.v2.ModelStatisticsRequest,
              dev.slipway.inference.v2.ModelStatisticsResponse>(
                service, METHODID_MODEL_STATISTICS)))
        .addMethod(
          getRepositoryIndexMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.inference.v2.RepositoryIndexRequest,
              dev.slipway.inference.v2.RepositoryIndexResponse>(
                service, METHODID_REPOSITORY_INDEX)))
        .addMethod(
          getRepositoryModelLoadMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.inference.v2.RepositoryModelLoadRequest,
              dev.slipway.inference.v2.RepositoryModelLoadResponse>(
                service, METHODID_REPOSITORY_MODEL_LOAD)))
        .addMethod(
          getRepositoryModelUnloadMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.inference.v2.RepositoryModelUnloadRequest,
              dev.slipway.inference.v2.RepositoryModelUnloadResponse>(
                service, METHODID_REPOSITORY_MODEL_UNLOAD)))
        .build();
  }

  private static abstract class GRPCInferenceServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    GRPCInferenceServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.slipway.inference.v2.GrpcServiceProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("GRPCInferenceService");
    }
  }

  private static final class GRPCInferenceServiceFileDescriptorSupplier
      extends GRPCInferenceServiceBaseDescriptorSupplier {
    GRPCInferenceServiceFileDescriptorSupplier() {}
  }

  private static final class GRPCInferenceServiceMethodDescriptorSupplier
      extends GRPCInferenceServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    GRPCInferenceServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (GRPCInferenceServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new GRPCInferenceServiceFileDescriptorSupplier())
              .addMethod(getServerLiveMethod())
              .addMethod(getServerReadyMethod())
              .addMethod(getModelReadyMethod())
              .addMethod(getServerMetadataMethod())
              .addMethod(getModelMetadataMethod())
              .addMethod(getModelInferMethod())
              .addMethod(getModelStreamInferMethod())
              .addMethod(getModelConfigMethod())
              .addMethod(getModelStatisticsMethod())
              .addMethod(getRepositoryIndexMethod())
              .addMethod(getRepositoryModelLoadMethod())
              .addMethod(getRepositoryModelUnloadMethod())
              .build();
        }
      }
    }
    return result;
  }
}
