package dev.slipway.training.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Runs training jobs: queued in the shared database, executed by worker processes, registered in
 * the registry with their lineage. Every state transition is audited.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class TrainingServiceGrpc {

  private TrainingServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "slipway.training.v1.TrainingService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.slipway.training.v1.CreateTrainingJobRequest,
      dev.slipway.training.v1.CreateTrainingJobResponse> getCreateTrainingJobMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateTrainingJob",
      requestType = dev.slipway.training.v1.CreateTrainingJobRequest.class,
      responseType = dev.slipway.training.v1.CreateTrainingJobResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.training.v1.CreateTrainingJobRequest,
      dev.slipway.training.v1.CreateTrainingJobResponse> getCreateTrainingJobMethod() {
    io.grpc.MethodDescriptor<dev.slipway.training.v1.CreateTrainingJobRequest, dev.slipway.training.v1.CreateTrainingJobResponse> getCreateTrainingJobMethod;
    if ((getCreateTrainingJobMethod = TrainingServiceGrpc.getCreateTrainingJobMethod) == null) {
      synchronized (TrainingServiceGrpc.class) {
        if ((getCreateTrainingJobMethod = TrainingServiceGrpc.getCreateTrainingJobMethod) == null) {
          TrainingServiceGrpc.getCreateTrainingJobMethod = getCreateTrainingJobMethod =
              io.grpc.MethodDescriptor.<dev.slipway.training.v1.CreateTrainingJobRequest, dev.slipway.training.v1.CreateTrainingJobResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateTrainingJob"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.training.v1.CreateTrainingJobRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.training.v1.CreateTrainingJobResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TrainingServiceMethodDescriptorSupplier("CreateTrainingJob"))
              .build();
        }
      }
    }
    return getCreateTrainingJobMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.training.v1.GetTrainingJobRequest,
      dev.slipway.training.v1.GetTrainingJobResponse> getGetTrainingJobMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetTrainingJob",
      requestType = dev.slipway.training.v1.GetTrainingJobRequest.class,
      responseType = dev.slipway.training.v1.GetTrainingJobResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.training.v1.GetTrainingJobRequest,
      dev.slipway.training.v1.GetTrainingJobResponse> getGetTrainingJobMethod() {
    io.grpc.MethodDescriptor<dev.slipway.training.v1.GetTrainingJobRequest, dev.slipway.training.v1.GetTrainingJobResponse> getGetTrainingJobMethod;
    if ((getGetTrainingJobMethod = TrainingServiceGrpc.getGetTrainingJobMethod) == null) {
      synchronized (TrainingServiceGrpc.class) {
        if ((getGetTrainingJobMethod = TrainingServiceGrpc.getGetTrainingJobMethod) == null) {
          TrainingServiceGrpc.getGetTrainingJobMethod = getGetTrainingJobMethod =
              io.grpc.MethodDescriptor.<dev.slipway.training.v1.GetTrainingJobRequest, dev.slipway.training.v1.GetTrainingJobResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetTrainingJob"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.training.v1.GetTrainingJobRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.training.v1.GetTrainingJobResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TrainingServiceMethodDescriptorSupplier("GetTrainingJob"))
              .build();
        }
      }
    }
    return getGetTrainingJobMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.training.v1.ListTrainingJobsRequest,
      dev.slipway.training.v1.ListTrainingJobsResponse> getListTrainingJobsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListTrainingJobs",
      requestType = dev.slipway.training.v1.ListTrainingJobsRequest.class,
      responseType = dev.slipway.training.v1.ListTrainingJobsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.training.v1.ListTrainingJobsRequest,
      dev.slipway.training.v1.ListTrainingJobsResponse> getListTrainingJobsMethod() {
    io.grpc.MethodDescriptor<dev.slipway.training.v1.ListTrainingJobsRequest, dev.slipway.training.v1.ListTrainingJobsResponse> getListTrainingJobsMethod;
    if ((getListTrainingJobsMethod = TrainingServiceGrpc.getListTrainingJobsMethod) == null) {
      synchronized (TrainingServiceGrpc.class) {
        if ((getListTrainingJobsMethod = TrainingServiceGrpc.getListTrainingJobsMethod) == null) {
          TrainingServiceGrpc.getListTrainingJobsMethod = getListTrainingJobsMethod =
              io.grpc.MethodDescriptor.<dev.slipway.training.v1.ListTrainingJobsRequest, dev.slipway.training.v1.ListTrainingJobsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListTrainingJobs"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.training.v1.ListTrainingJobsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.training.v1.ListTrainingJobsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TrainingServiceMethodDescriptorSupplier("ListTrainingJobs"))
              .build();
        }
      }
    }
    return getListTrainingJobsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.training.v1.CancelTrainingJobRequest,
      dev.slipway.training.v1.CancelTrainingJobResponse> getCancelTrainingJobMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CancelTrainingJob",
      requestType = dev.slipway.training.v1.CancelTrainingJobRequest.class,
      responseType = dev.slipway.training.v1.CancelTrainingJobResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.slipway.training.v1.CancelTrainingJobRequest,
      dev.slipway.training.v1.CancelTrainingJobResponse> getCancelTrainingJobMethod() {
    io.grpc.MethodDescriptor<dev.slipway.training.v1.CancelTrainingJobRequest, dev.slipway.training.v1.CancelTrainingJobResponse> getCancelTrainingJobMethod;
    if ((getCancelTrainingJobMethod = TrainingServiceGrpc.getCancelTrainingJobMethod) == null) {
      synchronized (TrainingServiceGrpc.class) {
        if ((getCancelTrainingJobMethod = TrainingServiceGrpc.getCancelTrainingJobMethod) == null) {
          TrainingServiceGrpc.getCancelTrainingJobMethod = getCancelTrainingJobMethod =
              io.grpc.MethodDescriptor.<dev.slipway.training.v1.CancelTrainingJobRequest, dev.slipway.training.v1.CancelTrainingJobResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CancelTrainingJob"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.training.v1.CancelTrainingJobRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.training.v1.CancelTrainingJobResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TrainingServiceMethodDescriptorSupplier("CancelTrainingJob"))
              .build();
        }
      }
    }
    return getCancelTrainingJobMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.slipway.training.v1.WatchTrainingJobRequest,
      dev.slipway.training.v1.WatchTrainingJobResponse> getWatchTrainingJobMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchTrainingJob",
      requestType = dev.slipway.training.v1.WatchTrainingJobRequest.class,
      responseType = dev.slipway.training.v1.WatchTrainingJobResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.slipway.training.v1.WatchTrainingJobRequest,
      dev.slipway.training.v1.WatchTrainingJobResponse> getWatchTrainingJobMethod() {
    io.grpc.MethodDescriptor<dev.slipway.training.v1.WatchTrainingJobRequest, dev.slipway.training.v1.WatchTrainingJobResponse> getWatchTrainingJobMethod;
    if ((getWatchTrainingJobMethod = TrainingServiceGrpc.getWatchTrainingJobMethod) == null) {
      synchronized (TrainingServiceGrpc.class) {
        if ((getWatchTrainingJobMethod = TrainingServiceGrpc.getWatchTrainingJobMethod) == null) {
          TrainingServiceGrpc.getWatchTrainingJobMethod = getWatchTrainingJobMethod =
              io.grpc.MethodDescriptor.<dev.slipway.training.v1.WatchTrainingJobRequest, dev.slipway.training.v1.WatchTrainingJobResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchTrainingJob"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.training.v1.WatchTrainingJobRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.slipway.training.v1.WatchTrainingJobResponse.getDefaultInstance()))
              .setSchemaDescriptor(new TrainingServiceMethodDescriptorSupplier("WatchTrainingJob"))
              .build();
        }
      }
    }
    return getWatchTrainingJobMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static TrainingServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<TrainingServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<TrainingServiceStub>() {
        @java.lang.Override
        public TrainingServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new TrainingServiceStub(channel, callOptions);
        }
      };
    return TrainingServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static TrainingServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<TrainingServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<TrainingServiceBlockingV2Stub>() {
        @java.lang.Override
        public TrainingServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new TrainingServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return TrainingServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static TrainingServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<TrainingServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<TrainingServiceBlockingStub>() {
        @java.lang.Override
        public TrainingServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new TrainingServiceBlockingStub(channel, callOptions);
        }
      };
    return TrainingServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static TrainingServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<TrainingServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<TrainingServiceFutureStub>() {
        @java.lang.Override
        public TrainingServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new TrainingServiceFutureStub(channel, callOptions);
        }
      };
    return TrainingServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Runs training jobs: queued in the shared database, executed by worker processes, registered in
   * the registry with their lineage. Every state transition is audited.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Validates and queues a training job. A spec that fails validation (unknown estimator, wrong
     * hyperparameter type, missing column, a target with one class, a path outside the data root)
     * is rejected with INVALID_ARGUMENT and BadRequest field violations.
     * </pre>
     */
    default void createTrainingJob(dev.slipway.training.v1.CreateTrainingJobRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.training.v1.CreateTrainingJobResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateTrainingJobMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one training job.
     * </pre>
     */
    default void getTrainingJob(dev.slipway.training.v1.GetTrainingJobRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.training.v1.GetTrainingJobResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetTrainingJobMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists training jobs, newest first unless `order_by` says otherwise, with a filter.
     * </pre>
     */
    default void listTrainingJobs(dev.slipway.training.v1.ListTrainingJobsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.training.v1.ListTrainingJobsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListTrainingJobsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Cancels a queued or running job. A running fit stops within two seconds; nothing is
     * registered. A cancel that arrives while the version is already being registered is too
     * late: the job ends SUCCEEDED (the cancel stays in the audit log). Cancelling a terminal job
     * fails with FAILED_PRECONDITION.
     * </pre>
     */
    default void cancelTrainingJob(dev.slipway.training.v1.CancelTrainingJobRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.training.v1.CancelTrainingJobResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCancelTrainingJobMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams the job as it is now, then every state or progress change, and ends after the job
     * reaches a terminal state.
     * </pre>
     */
    default void watchTrainingJob(dev.slipway.training.v1.WatchTrainingJobRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.training.v1.WatchTrainingJobResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchTrainingJobMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service TrainingService.
   * <pre>
   * Runs training jobs: queued in the shared database, executed by worker processes, registered in
   * the registry with their lineage. Every state transition is audited.
   * </pre>
   */
  public static abstract class TrainingServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return TrainingServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service TrainingService.
   * <pre>
   * Runs training jobs: queued in the shared database, executed by worker processes, registered in
   * the registry with their lineage. Every state transition is audited.
   * </pre>
   */
  public static final class TrainingServiceStub
      extends io.grpc.stub.AbstractAsyncStub<TrainingServiceStub> {
    private TrainingServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected TrainingServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new TrainingServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Validates and queues a training job. A spec that fails validation (unknown estimator, wrong
     * hyperparameter type, missing column, a target with one class, a path outside the data root)
     * is rejected with INVALID_ARGUMENT and BadRequest field violations.
     * </pre>
     */
    public void createTrainingJob(dev.slipway.training.v1.CreateTrainingJobRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.training.v1.CreateTrainingJobResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateTrainingJobMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns one training job.
     * </pre>
     */
    public void getTrainingJob(dev.slipway.training.v1.GetTrainingJobRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.training.v1.GetTrainingJobResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetTrainingJobMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists training jobs, newest first unless `order_by` says otherwise, with a filter.
     * </pre>
     */
    public void listTrainingJobs(dev.slipway.training.v1.ListTrainingJobsRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.training.v1.ListTrainingJobsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListTrainingJobsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Cancels a queued or running job. A running fit stops within two seconds; nothing is
     * registered. A cancel that arrives while the version is already being registered is too
     * late: the job ends SUCCEEDED (the cancel stays in the audit log). Cancelling a terminal job
     * fails with FAILED_PRECONDITION.
     * </pre>
     */
    public void cancelTrainingJob(dev.slipway.training.v1.CancelTrainingJobRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.training.v1.CancelTrainingJobResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCancelTrainingJobMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams the job as it is now, then every state or progress change, and ends after the job
     * reaches a terminal state.
     * </pre>
     */
    public void watchTrainingJob(dev.slipway.training.v1.WatchTrainingJobRequest request,
        io.grpc.stub.StreamObserver<dev.slipway.training.v1.WatchTrainingJobResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchTrainingJobMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service TrainingService.
   * <pre>
   * Runs training jobs: queued in the shared database, executed by worker processes, registered in
   * the registry with their lineage. Every state transition is audited.
   * </pre>
   */
  public static final class TrainingServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<TrainingServiceBlockingV2Stub> {
    private TrainingServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected TrainingServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new TrainingServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Validates and queues a training job. A spec that fails validation (unknown estimator, wrong
     * hyperparameter type, missing column, a target with one class, a path outside the data root)
     * is rejected with INVALID_ARGUMENT and BadRequest field violations.
     * </pre>
     */
    public dev.slipway.training.v1.CreateTrainingJobResponse createTrainingJob(dev.slipway.training.v1.CreateTrainingJobRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCreateTrainingJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one training job.
     * </pre>
     */
    public dev.slipway.training.v1.GetTrainingJobResponse getTrainingJob(dev.slipway.training.v1.GetTrainingJobRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetTrainingJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists training jobs, newest first unless `order_by` says otherwise, with a filter.
     * </pre>
     */
    public dev.slipway.training.v1.ListTrainingJobsResponse listTrainingJobs(dev.slipway.training.v1.ListTrainingJobsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListTrainingJobsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Cancels a queued or running job. A running fit stops within two seconds; nothing is
     * registered. A cancel that arrives while the version is already being registered is too
     * late: the job ends SUCCEEDED (the cancel stays in the audit log). Cancelling a terminal job
     * fails with FAILED_PRECONDITION.
     * </pre>
     */
    public dev.slipway.training.v1.CancelTrainingJobResponse cancelTrainingJob(dev.slipway.training.v1.CancelTrainingJobRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCancelTrainingJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams the job as it is now, then every state or progress change, and ends after the job
     * reaches a terminal state.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, dev.slipway.training.v1.WatchTrainingJobResponse>
        watchTrainingJob(dev.slipway.training.v1.WatchTrainingJobRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getWatchTrainingJobMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service TrainingService.
   * <pre>
   * Runs training jobs: queued in the shared database, executed by worker processes, registered in
   * the registry with their lineage. Every state transition is audited.
   * </pre>
   */
  public static final class TrainingServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<TrainingServiceBlockingStub> {
    private TrainingServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected TrainingServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new TrainingServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Validates and queues a training job. A spec that fails validation (unknown estimator, wrong
     * hyperparameter type, missing column, a target with one class, a path outside the data root)
     * is rejected with INVALID_ARGUMENT and BadRequest field violations.
     * </pre>
     */
    public dev.slipway.training.v1.CreateTrainingJobResponse createTrainingJob(dev.slipway.training.v1.CreateTrainingJobRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateTrainingJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one training job.
     * </pre>
     */
    public dev.slipway.training.v1.GetTrainingJobResponse getTrainingJob(dev.slipway.training.v1.GetTrainingJobRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetTrainingJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists training jobs, newest first unless `order_by` says otherwise, with a filter.
     * </pre>
     */
    public dev.slipway.training.v1.ListTrainingJobsResponse listTrainingJobs(dev.slipway.training.v1.ListTrainingJobsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListTrainingJobsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Cancels a queued or running job. A running fit stops within two seconds; nothing is
     * registered. A cancel that arrives while the version is already being registered is too
     * late: the job ends SUCCEEDED (the cancel stays in the audit log). Cancelling a terminal job
     * fails with FAILED_PRECONDITION.
     * </pre>
     */
    public dev.slipway.training.v1.CancelTrainingJobResponse cancelTrainingJob(dev.slipway.training.v1.CancelTrainingJobRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCancelTrainingJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams the job as it is now, then every state or progress change, and ends after the job
     * reaches a terminal state.
     * </pre>
     */
    public java.util.Iterator<dev.slipway.training.v1.WatchTrainingJobResponse> watchTrainingJob(
        dev.slipway.training.v1.WatchTrainingJobRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchTrainingJobMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service TrainingService.
   * <pre>
   * Runs training jobs: queued in the shared database, executed by worker processes, registered in
   * the registry with their lineage. Every state transition is audited.
   * </pre>
   */
  public static final class TrainingServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<TrainingServiceFutureStub> {
    private TrainingServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected TrainingServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new TrainingServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Validates and queues a training job. A spec that fails validation (unknown estimator, wrong
     * hyperparameter type, missing column, a target with one class, a path outside the data root)
     * is rejected with INVALID_ARGUMENT and BadRequest field violations.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.training.v1.CreateTrainingJobResponse> createTrainingJob(
        dev.slipway.training.v1.CreateTrainingJobRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateTrainingJobMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one training job.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.training.v1.GetTrainingJobResponse> getTrainingJob(
        dev.slipway.training.v1.GetTrainingJobRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetTrainingJobMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists training jobs, newest first unless `order_by` says otherwise, with a filter.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.training.v1.ListTrainingJobsResponse> listTrainingJobs(
        dev.slipway.training.v1.ListTrainingJobsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListTrainingJobsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Cancels a queued or running job. A running fit stops within two seconds; nothing is
     * registered. A cancel that arrives while the version is already being registered is too
     * late: the job ends SUCCEEDED (the cancel stays in the audit log). Cancelling a terminal job
     * fails with FAILED_PRECONDITION.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.slipway.training.v1.CancelTrainingJobResponse> cancelTrainingJob(
        dev.slipway.training.v1.CancelTrainingJobRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCancelTrainingJobMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CREATE_TRAINING_JOB = 0;
  private static final int METHODID_GET_TRAINING_JOB = 1;
  private static final int METHODID_LIST_TRAINING_JOBS = 2;
  private static final int METHODID_CANCEL_TRAINING_JOB = 3;
  private static final int METHODID_WATCH_TRAINING_JOB = 4;

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
        case METHODID_CREATE_TRAINING_JOB:
          serviceImpl.createTrainingJob((dev.slipway.training.v1.CreateTrainingJobRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.training.v1.CreateTrainingJobResponse>) responseObserver);
          break;
        case METHODID_GET_TRAINING_JOB:
          serviceImpl.getTrainingJob((dev.slipway.training.v1.GetTrainingJobRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.training.v1.GetTrainingJobResponse>) responseObserver);
          break;
        case METHODID_LIST_TRAINING_JOBS:
          serviceImpl.listTrainingJobs((dev.slipway.training.v1.ListTrainingJobsRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.training.v1.ListTrainingJobsResponse>) responseObserver);
          break;
        case METHODID_CANCEL_TRAINING_JOB:
          serviceImpl.cancelTrainingJob((dev.slipway.training.v1.CancelTrainingJobRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.training.v1.CancelTrainingJobResponse>) responseObserver);
          break;
        case METHODID_WATCH_TRAINING_JOB:
          serviceImpl.watchTrainingJob((dev.slipway.training.v1.WatchTrainingJobRequest) request,
              (io.grpc.stub.StreamObserver<dev.slipway.training.v1.WatchTrainingJobResponse>) responseObserver);
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
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getCreateTrainingJobMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.training.v1.CreateTrainingJobRequest,
              dev.slipway.training.v1.CreateTrainingJobResponse>(
                service, METHODID_CREATE_TRAINING_JOB)))
        .addMethod(
          getGetTrainingJobMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.training.v1.GetTrainingJobRequest,
              dev.slipway.training.v1.GetTrainingJobResponse>(
                service, METHODID_GET_TRAINING_JOB)))
        .addMethod(
          getListTrainingJobsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.training.v1.ListTrainingJobsRequest,
              dev.slipway.training.v1.ListTrainingJobsResponse>(
                service, METHODID_LIST_TRAINING_JOBS)))
        .addMethod(
          getCancelTrainingJobMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.slipway.training.v1.CancelTrainingJobRequest,
              dev.slipway.training.v1.CancelTrainingJobResponse>(
                service, METHODID_CANCEL_TRAINING_JOB)))
        .addMethod(
          getWatchTrainingJobMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              dev.slipway.training.v1.WatchTrainingJobRequest,
              dev.slipway.training.v1.WatchTrainingJobResponse>(
                service, METHODID_WATCH_TRAINING_JOB)))
        .build();
  }

  private static abstract class TrainingServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    TrainingServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.slipway.training.v1.TrainingServiceProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("TrainingService");
    }
  }

  private static final class TrainingServiceFileDescriptorSupplier
      extends TrainingServiceBaseDescriptorSupplier {
    TrainingServiceFileDescriptorSupplier() {}
  }

  private static final class TrainingServiceMethodDescriptorSupplier
      extends TrainingServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    TrainingServiceMethodDescriptorSupplier(java.lang.String methodName) {
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
      synchronized (TrainingServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new TrainingServiceFileDescriptorSupplier())
              .addMethod(getCreateTrainingJobMethod())
              .addMethod(getGetTrainingJobMethod())
              .addMethod(getListTrainingJobsMethod())
              .addMethod(getCancelTrainingJobMethod())
              .addMethod(getWatchTrainingJobMethod())
              .build();
        }
      }
    }
    return result;
  }
}
